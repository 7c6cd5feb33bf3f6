namespace OpenTelemetry.Profiling.Receiver;

/// <summary>
/// The summary of all received profiles of one type (one sample type and period type), across requests.
/// </summary>
public sealed class ProfileTypeSummary
{
    internal ProfileTypeSummary(
        string sampleType,
        string periodType,
        int profileCount,
        int sampleCount,
        long totalValue,
        long linkedValue,
        double stackFilterShare,
        IReadOnlyList<FunctionShare> topSelf,
        IReadOnlyList<FunctionShare> topInclusive,
        IReadOnlyList<LinkShare> topLinks,
        IReadOnlyList<EndpointShare> endpoints)
    {
        this.Endpoints = endpoints;
        this.SampleType = sampleType;
        this.PeriodType = periodType;
        this.ProfileCount = profileCount;
        this.SampleCount = sampleCount;
        this.TotalValue = totalValue;
        this.LinkedValue = linkedValue;
        this.StackFilterShare = stackFilterShare;
        this.TopSelf = topSelf;
        this.TopInclusive = topInclusive;
        this.TopLinks = topLinks;
    }

    /// <summary>Gets the sample type as <c>type/unit</c>, for example <c>samples/count</c>.</summary>
    public string SampleType { get; }

    /// <summary>Gets the period type as <c>type/unit</c>, for example <c>cpu/nanoseconds</c>.</summary>
    public string PeriodType { get; }

    /// <summary>Gets the samples grouped by local root span name (endpoint), largest first; an empty name holds samples with no span.</summary>
    public IReadOnlyList<EndpointShare> Endpoints { get; }

    /// <summary>Gets how many profiles of this type were received.</summary>
    public int ProfileCount { get; }

    /// <summary>Gets how many sample records the profiles held (after the exporter's aggregation).</summary>
    public int SampleCount { get; }

    /// <summary>Gets the sum of sample values: the number of samples taken for a <c>samples/count</c> profile.</summary>
    public long TotalValue { get; }

    /// <summary>Gets the part of <see cref="TotalValue"/> from samples linked to a span.</summary>
    public long LinkedValue { get; }

    /// <summary>
    /// Gets the fraction (0 to 1) of <see cref="TotalValue"/> whose stack holds a function whose name contains
    /// <see cref="ProfileSummary.StackFilter"/>; 0 without a filter.
    /// </summary>
    public double StackFilterShare { get; }

    /// <summary>Gets the functions most often at the top of the stack (self time), largest first.</summary>
    public IReadOnlyList<FunctionShare> TopSelf { get; }

    /// <summary>Gets the functions most often anywhere on the stack (counted once per sample), largest first.</summary>
    public IReadOnlyList<FunctionShare> TopInclusive { get; }

    /// <summary>Gets the spans with the most linked samples, largest first.</summary>
    public IReadOnlyList<LinkShare> TopLinks { get; }
}
