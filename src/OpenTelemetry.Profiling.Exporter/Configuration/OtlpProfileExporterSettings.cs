using System.Security.Cryptography.X509Certificates;
using OpenTelemetry.Profiling.Exporter.Diagnostics;

namespace OpenTelemetry.Profiling.Exporter.Configuration;

/// <summary>
/// The effective exporter settings after applying precedence: code, then the profiles-specific environment
/// variable, then the generic one, then the default. <see cref="Endpoint"/> is what the transport is given:
/// the base URI for gRPC, the full request URL for HTTP/protobuf. <see cref="Timeout"/> bounds one export
/// call, its retries included.
/// </summary>
internal sealed record OtlpProfileExporterSettings(
    OtlpProfileExportProtocol Protocol,
    Uri Endpoint,
    TimeSpan Timeout,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    OtlpProfileExportCompression Compression = OtlpProfileExportCompression.None,
    OtlpTlsSettings? Tls = null,
    int MaxQueuedBatches = OtlpProfileExporterOptions.DefaultMaxQueuedBatches,
    int MaxQueuedBytes = OtlpProfileExporterOptions.DefaultMaxQueuedBytes,
    int MaxRequestBytes = OtlpProfileExporterOptions.DefaultMaxRequestBytes)
{
    public const string HttpSignalPath = "v1development/profiles";

    /// <summary>
    /// Applies precedence to <paramref name="options"/> (values set in code) and <paramref name="readVariable"/>,
    /// which reads one environment variable or configuration key and returns null when it is unset.
    /// </summary>
    /// <exception cref="ArgumentException">A client certificate and key set in code do not load as a pair.</exception>
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

        var compression = options.CompressionSetInCode
            ?? ReadCompression(readVariable, OtlpProfileEnvironmentVariables.ProfilesCompression)
            ?? ReadCompression(readVariable, OtlpProfileEnvironmentVariables.Compression)
            ?? OtlpProfileExportCompression.None;

        return new OtlpProfileExporterSettings(
            protocol,
            endpoint,
            TimeSpan.FromMilliseconds(timeout),
            headers,
            compression,
            ResolveTls(options, readVariable),
            options.MaxQueuedBatches,
            options.MaxQueuedBytes,
            options.MaxRequestBytes);
    }

    /// <summary>Appends <c>v1development/profiles</c> to the generic endpoint's path, with exactly one slash.</summary>
    public static Uri AppendSignalPath(Uri endpoint)
    {
        string baseUri = endpoint.GetLeftPart(UriPartial.Path);
        return new Uri(baseUri.EndsWith('/') ? baseUri + HttpSignalPath : baseUri + "/" + HttpSignalPath);
    }

    private static OtlpTlsSettings? ResolveTls(OtlpProfileExporterOptions options, Func<string, string?> readVariable)
    {
        X509Certificate2Collection? trusted = null;
        var (caPath, caSource) = ReadPath(options.CertificateFilePath, nameof(options.CertificateFilePath), readVariable, OtlpProfileEnvironmentVariables.ProfilesCertificate, OtlpProfileEnvironmentVariables.Certificate);
        if (caPath is not null && !OtlpTlsSettings.TryLoadTrustedCertificates(caPath, out trusted, out string? caError))
        {
            Report(caSource, caError!, options.CertificateFilePath is not null);
        }

        X509Certificate2? client = null;
        var (certificatePath, certificateSource) = ReadPath(options.ClientCertificateFilePath, nameof(options.ClientCertificateFilePath), readVariable, OtlpProfileEnvironmentVariables.ProfilesClientCertificate, OtlpProfileEnvironmentVariables.ClientCertificate);
        var (keyPath, keySource) = ReadPath(options.ClientKeyFilePath, nameof(options.ClientKeyFilePath), readVariable, OtlpProfileEnvironmentVariables.ProfilesClientKey, OtlpProfileEnvironmentVariables.ClientKey);
        bool clientSetInCode = options.ClientCertificateFilePath is not null || options.ClientKeyFilePath is not null;
        if (certificatePath is not null && keyPath is null)
        {
            Report(certificateSource, "a client certificate needs its private key as well", clientSetInCode);
        }
        else if (keyPath is not null && certificatePath is null)
        {
            Report(keySource, "a client key needs its certificate as well", clientSetInCode);
        }
        else if (certificatePath is not null && keyPath is not null
            && !OtlpTlsSettings.TryLoadClientCertificate(certificatePath, keyPath, out client, out string? clientError))
        {
            Report(certificateSource, clientError!, clientSetInCode);
        }

        return trusted is null && client is null ? null : new OtlpTlsSettings(trusted, client);
    }

    /// <summary>Code, then the profiles variable, then the generic one; returns the path and where it came from.</summary>
    private static (string? Path, string Source) ReadPath(string? codeValue, string optionName, Func<string, string?> readVariable, string profilesName, string genericName)
    {
        if (codeValue is not null)
        {
            return (codeValue, optionName);
        }

        foreach (string name in (string[])[profilesName, genericName])
        {
            string? value = readVariable(name);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return (value.Trim(), name);
            }
        }

        return (null, string.Empty);
    }

    /// <summary>A bad value set in code throws; a bad environment value is reported and leaves TLS as it was.</summary>
    private static void Report(string source, string error, bool setInCode)
    {
        if (setInCode)
        {
            throw new ArgumentException($"Invalid {source}: {error}.", source);
        }

        OtlpProfileExporterEventSource.Log.InvalidEnvironmentVariable(source, error + "; TLS settings from it are not applied");
    }

    private static OtlpProfileExportCompression? ReadCompression(Func<string, string?> readVariable, string name)
    {
        string? value = readVariable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (OtlpProfileSettingParser.TryParseCompression(value, out var compression))
        {
            return compression;
        }

        OtlpProfileExporterEventSource.Log.InvalidEnvironmentVariable(name, $"unknown compression '{value.Trim()}' (expected gzip or none)");
        return null;
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
