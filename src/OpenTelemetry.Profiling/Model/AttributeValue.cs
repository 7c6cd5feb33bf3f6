namespace OpenTelemetry.Profiling.Model;

/// <summary>The kinds of attribute value the profile model carries.</summary>
internal enum AttributeValueKind
{
    String,
    Int,
    Bool,
    Double,
}

/// <summary>A scalar attribute value; equality is by kind and value so the dictionary can deduplicate.</summary>
internal readonly record struct AttributeValue(AttributeValueKind Kind, string? StringValue, long IntValue, double DoubleValue, bool BoolValue)
{
    public static AttributeValue Of(string value) => new(AttributeValueKind.String, value, 0, 0, false);

    public static AttributeValue Of(long value) => new(AttributeValueKind.Int, null, value, 0, false);

    public static AttributeValue Of(bool value) => new(AttributeValueKind.Bool, null, 0, 0, value);

    public static AttributeValue Of(double value) => new(AttributeValueKind.Double, null, 0, value, false);

    public override string ToString() => this.Kind switch
    {
        AttributeValueKind.String => this.StringValue ?? string.Empty,
        AttributeValueKind.Int => this.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AttributeValueKind.Bool => this.BoolValue ? "true" : "false",
        _ => this.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
