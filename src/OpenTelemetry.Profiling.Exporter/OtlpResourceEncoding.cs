using System.Globalization;
using System.Reflection;
using OpenTelemetry.Profiling.Model;
using SdkResource = OpenTelemetry.Resources.Resource;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Writes the SDK's resource as an OTLP <c>Resource</c> message, and names the instrumentation scope: the same
/// bytes as the generated message of <see cref="OtlpProfileConverter.ToResource"/>, without loading a protobuf
/// library into the app. Attribute values map as the OTLP exporters map them: strings, booleans, integers,
/// doubles, arrays of these; anything else as its invariant string. A resource without <c>service.name</c>
/// gets the spec's fallback, <c>unknown_service:&lt;process name&gt;</c>.
/// </summary>
internal static class OtlpResourceEncoding
{
    public const string ScopeName = "OpenTelemetry.Profiling";

    public const string ServiceNameKey = "service.name";

    // Resource, KeyValue, AnyValue and ArrayValue fields.
    private const int ResourceAttributes = 1;
    private const int KeyValueKey = 1;
    private const int KeyValueValue = 2;
    private const int AnyString = 1;
    private const int AnyBool = 2;
    private const int AnyInt = 3;
    private const int AnyDouble = 4;
    private const int AnyArray = 5;
    private const int ArrayValues = 1;

    private static readonly Lazy<string> UnknownService = new(() => "unknown_service:" + GetProcessName());

    /// <summary>Gets the scope's version: this library's version without build metadata.</summary>
    public static string ScopeVersion { get; } = GetScopeVersion();

    /// <summary>Gets the <c>service.name</c> of a resource that has none.</summary>
    public static string UnknownServiceName => UnknownService.Value;

    public static byte[] Encode(SdkResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        int size = 0;
        bool hasServiceName = false;
        foreach (var attribute in resource.Attributes)
        {
            if (attribute.Value is not null)
            {
                hasServiceName |= attribute.Key == ServiceNameKey;
                size += ProtoWriter.DelimitedSize(KeyValueSize(attribute.Key, attribute.Value));
            }
        }

        if (!hasServiceName)
        {
            size += ProtoWriter.DelimitedSize(KeyValueSize(ServiceNameKey, UnknownServiceName));
        }

        byte[] result = new byte[size];
        var writer = new ProtoWriter(result);
        foreach (var attribute in resource.Attributes)
        {
            if (attribute.Value is not null)
            {
                WriteKeyValue(ref writer, attribute.Key, attribute.Value);
            }
        }

        if (!hasServiceName)
        {
            WriteKeyValue(ref writer, ServiceNameKey, UnknownServiceName);
        }

        if (writer.Position != result.Length)
        {
            throw new InvalidOperationException($"The resource was sized at {result.Length} bytes but {writer.Position} were written.");
        }

        return result;
    }

    private static int KeyValueSize(string key, object value) =>
        (key.Length == 0 ? 0 : ProtoWriter.DelimitedSize(ProtoWriter.StringSize(key)))
        + ProtoWriter.DelimitedSize(AnyValueSize(value));

    private static void WriteKeyValue(ref ProtoWriter writer, string key, object value)
    {
        writer.StartDelimited(ResourceAttributes, KeyValueSize(key, value));
        if (key.Length != 0)
        {
            writer.StringField(KeyValueKey, key);
        }

        writer.StartDelimited(KeyValueValue, AnyValueSize(value));
        WriteAnyValue(ref writer, value);
    }

    /// <summary>The payload of an AnyValue: one member of its oneof, written even when it is the default.</summary>
    private static int AnyValueSize(object value) => value switch
    {
        string s => ProtoWriter.DelimitedSize(ProtoWriter.StringSize(s)),
        bool => 2,
        double or float => ProtoWriter.Fixed64FieldSize,
        long or int or short or sbyte or uint or ushort or byte => 1 + ProtoWriter.VarintSize(ToInt64(value)),
        Array array => ProtoWriter.DelimitedSize(ArrayValueSize(array)),
        _ => ProtoWriter.DelimitedSize(ProtoWriter.StringSize(ToText(value))),
    };

    private static int ArrayValueSize(Array array)
    {
        int size = 0;
        foreach (object? item in array)
        {
            if (item is not null)
            {
                size += ProtoWriter.DelimitedSize(AnyValueSize(item));
            }
        }

        return size;
    }

    private static void WriteAnyValue(ref ProtoWriter writer, object value)
    {
        switch (value)
        {
            case string s:
                writer.StringField(AnyString, s);
                break;
            case bool b:
                writer.PresentVarintField(AnyBool, b ? 1 : 0);
                break;
            case double d:
                writer.Fixed64Field(AnyDouble, BitConverter.DoubleToUInt64Bits(d));
                break;
            case float f:
                writer.Fixed64Field(AnyDouble, BitConverter.DoubleToUInt64Bits(f));
                break;
            case long or int or short or sbyte or uint or ushort or byte:
                writer.PresentVarintField(AnyInt, ToInt64(value));
                break;
            case Array array:
                writer.StartDelimited(AnyArray, ArrayValueSize(array));
                foreach (object? item in array)
                {
                    if (item is not null)
                    {
                        writer.StartDelimited(ArrayValues, AnyValueSize(item));
                        WriteAnyValue(ref writer, item);
                    }
                }

                break;
            default:
                writer.StringField(AnyString, ToText(value));
                break;
        }
    }

    private static long ToInt64(object value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);

    private static string ToText(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;

    private static string GetScopeVersion()
    {
        string? version = typeof(ProfileBatch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version))
        {
            return typeof(ProfileBatch).Assembly.GetName().Version?.ToString() ?? string.Empty;
        }

        // Drop the "+commit" build metadata the SDK appends.
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }

    private static string GetProcessName()
    {
        try
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            return process.ProcessName;
        }
        catch (InvalidOperationException)
        {
            return "dotnet";
        }
    }
}
