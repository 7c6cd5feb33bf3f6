using System.Globalization;

namespace OpenTelemetry.Profiling.Exporter.Configuration;

/// <summary>
/// Parses the exporter's settings in their environment-variable form. Used both for the environment (bad
/// values are logged and skipped) and for values set in code (bad values throw).
/// </summary>
internal static class OtlpProfileSettingParser
{
    public static bool TryParseEndpoint(string? value, out Uri? endpoint, out string? error)
    {
        endpoint = null;
        if (!Uri.TryCreate(value?.Trim(), UriKind.Absolute, out var uri))
        {
            error = "not an absolute URI";
            return false;
        }

        return IsValidEndpoint(uri, out error) && (endpoint = uri) is not null;
    }

    public static bool IsValidEndpoint(Uri uri, out string? error)
    {
        if (!uri.IsAbsoluteUri)
        {
            error = "not an absolute URI";
            return false;
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            error = $"scheme '{uri.Scheme}' is not http or https";
            return false;
        }

        error = null;
        return true;
    }

    public static bool TryParseProtocol(string? value, out OtlpProfileExportProtocol protocol)
    {
        switch (value?.Trim().ToUpperInvariant())
        {
            case "GRPC":
                protocol = OtlpProfileExportProtocol.Grpc;
                return true;
            case "HTTP/PROTOBUF":
                protocol = OtlpProfileExportProtocol.HttpProtobuf;
                return true;
            default:
                protocol = default;
                return false;
        }
    }

    public static bool TryParseCompression(string? value, out OtlpProfileExportCompression compression)
    {
        switch (value?.Trim().ToUpperInvariant())
        {
            case "GZIP":
                compression = OtlpProfileExportCompression.Gzip;
                return true;
            case "NONE":
                compression = OtlpProfileExportCompression.None;
                return true;
            default:
                compression = default;
                return false;
        }
    }

    public static bool TryParseTimeout(string? value, out int milliseconds) =>
        int.TryParse(value?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out milliseconds) && milliseconds > 0;

    /// <summary>
    /// Parses <c>key1=value1,key2=value2</c> (the W3C baggage form the spec prescribes): entries are trimmed,
    /// keys and values percent-decoded, empty entries skipped. The error text never contains a value.
    /// </summary>
    public static bool TryParseHeaders(string? value, out List<KeyValuePair<string, string>> headers, out string? error)
    {
        headers = [];
        error = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        int position = 0;
        foreach (string entry in value.Split(','))
        {
            position++;
            if (string.IsNullOrWhiteSpace(entry))
            {
                continue;
            }

            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            string key = equals < 0 ? string.Empty : Uri.UnescapeDataString(entry[..equals].Trim());
            if (key.Length == 0 || !IsToken(key))
            {
                error = $"entry {position} is not a 'name=value' pair with a valid header name";
                headers = [];
                return false;
            }

            headers.Add(new KeyValuePair<string, string>(key, Uri.UnescapeDataString(entry[(equals + 1)..].Trim())));
        }

        return true;
    }

    // RFC 9110 token characters: what an HTTP header name may contain.
    private static bool IsToken(string name)
    {
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }
}
