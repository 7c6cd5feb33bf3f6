using OpenTelemetry.Profiling.Exporter.Diagnostics;

namespace OpenTelemetry.Profiling.Exporter.Configuration;

/// <summary>
/// The effective exporter settings after applying precedence: code, then the profiles-specific environment
/// variable, then the generic one, then the default. <see cref="Endpoint"/> is what the transport is given:
/// the base URI for gRPC, the full request URL for HTTP/protobuf.
/// </summary>
internal sealed record OtlpProfileExporterSettings(
    OtlpProfileExportProtocol Protocol,
    Uri Endpoint,
    TimeSpan Timeout,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public const string HttpSignalPath = "v1development/profiles";

    /// <summary>
    /// Applies precedence to <paramref name="options"/> (values set in code) and <paramref name="readVariable"/>,
    /// which reads one environment variable or configuration key and returns null when it is unset.
    /// </summary>
    public static OtlpProfileExporterSettings Resolve(OtlpProfileExporterOptions options, Func<string, string?> readVariable)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(readVariable);

        var protocol = options.ProtocolSetInCode
            ?? ReadProtocol(readVariable, OtlpProfileEnvironmentVariables.ProfilesProtocol)
            ?? ReadProtocol(readVariable, OtlpProfileEnvironmentVariables.Protocol)
            ?? OtlpProfileExportProtocol.Grpc;

        var endpoint = options.EndpointSetInCode
            ?? ReadEndpoint(readVariable, OtlpProfileEnvironmentVariables.ProfilesEndpoint);
        if (endpoint is null)
        {
            var generic = ReadEndpoint(readVariable, OtlpProfileEnvironmentVariables.Endpoint);
            endpoint = generic is null
                ? (protocol == OtlpProfileExportProtocol.Grpc ? OtlpProfileExporterOptions.DefaultGrpcEndpoint : OtlpProfileExporterOptions.DefaultHttpEndpoint)
                : (protocol == OtlpProfileExportProtocol.Grpc ? generic : AppendSignalPath(generic));
        }

        int timeout = options.TimeoutSetInCode
            ?? ReadTimeout(readVariable, OtlpProfileEnvironmentVariables.ProfilesTimeout)
            ?? ReadTimeout(readVariable, OtlpProfileEnvironmentVariables.Timeout)
            ?? OtlpProfileExporterOptions.DefaultTimeoutMilliseconds;

        List<KeyValuePair<string, string>> headers;
        if (options.Headers is not null && OtlpProfileSettingParser.TryParseHeaders(options.Headers, out headers, out _))
        {
            // Validated when set; nothing more to do.
        }
        else
        {
            headers = ReadHeaders(readVariable, OtlpProfileEnvironmentVariables.ProfilesHeaders)
                ?? ReadHeaders(readVariable, OtlpProfileEnvironmentVariables.Headers)
                ?? [];
        }

        return new OtlpProfileExporterSettings(protocol, endpoint, TimeSpan.FromMilliseconds(timeout), headers);
    }

    /// <summary>Appends <c>v1development/profiles</c> to the generic endpoint's path, with exactly one slash.</summary>
    public static Uri AppendSignalPath(Uri endpoint)
    {
        string baseUri = endpoint.GetLeftPart(UriPartial.Path);
        return new Uri(baseUri.EndsWith('/') ? baseUri + HttpSignalPath : baseUri + "/" + HttpSignalPath);
    }

    private static OtlpProfileExportProtocol? ReadProtocol(Func<string, string?> readVariable, string name)
    {
        string? value = readVariable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (OtlpProfileSettingParser.TryParseProtocol(value, out var protocol))
        {
            return protocol;
        }

        OtlpProfileExporterEventSource.Log.InvalidEnvironmentVariable(name, $"unknown protocol '{value.Trim()}' (expected grpc or http/protobuf)");
        return null;
    }

    private static Uri? ReadEndpoint(Func<string, string?> readVariable, string name)
    {
        string? value = readVariable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (OtlpProfileSettingParser.TryParseEndpoint(value, out var endpoint, out string? error))
        {
            return endpoint;
        }

        // The raw value is not logged: it may hold credentials and could not be parsed to strip them.
        OtlpProfileExporterEventSource.Log.InvalidEnvironmentVariable(name, $"invalid endpoint: {error}");
        return null;
    }

    private static int? ReadTimeout(Func<string, string?> readVariable, string name)
    {
        string? value = readVariable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (OtlpProfileSettingParser.TryParseTimeout(value, out int milliseconds))
        {
            return milliseconds;
        }

        OtlpProfileExporterEventSource.Log.InvalidEnvironmentVariable(name, $"'{value.Trim()}' is not a positive whole number of milliseconds");
        return null;
    }

    private static List<KeyValuePair<string, string>>? ReadHeaders(Func<string, string?> readVariable, string name)
    {
        string? value = readVariable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (OtlpProfileSettingParser.TryParseHeaders(value, out var headers, out string? error))
        {
            return headers;
        }

        OtlpProfileExporterEventSource.Log.InvalidEnvironmentVariable(name, $"invalid headers: {error}");
        return null;
    }
}
