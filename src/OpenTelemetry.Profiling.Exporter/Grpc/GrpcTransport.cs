using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter.Grpc;

/// <summary>
/// A gRPC unary call to <c>ProfilesService/Export</c> spoken directly over <see cref="HttpClient"/> with
/// HTTP/2 (h2c for <c>http://</c>, TLS for <c>https://</c>): no gRPC client library is needed.
/// </summary>
internal sealed class GrpcTransport : OtlpProfileTransport
{
    public const string ExportPath = "opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";

    // The grpc-timeout header allows at most eight digits.
    private const long MaxGrpcTimeoutMilliseconds = 99_999_999;

    private static readonly MediaTypeHeaderValue GrpcContentType = new(GrpcFrame.ContentType);

    public GrpcTransport(
        Uri endpoint,
        TimeSpan timeout,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        HttpMessageHandler? handler = null,
        OtlpProfileExportCompression compression = OtlpProfileExportCompression.None,
        OtlpTlsSettings? tls = null)
        : base(BuildRequestUri(endpoint), timeout, headers ?? [], handler, compression, tls)
    {
    }

    /// <summary>Appends the service method to the endpoint, keeping any path prefix it has.</summary>
    public static Uri BuildRequestUri(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        string baseUri = endpoint.GetLeftPart(UriPartial.Path);
        return new Uri(baseUri.EndsWith('/') ? baseUri + ExportPath : baseUri + "/" + ExportPath);
    }

    /// <summary>Serializes <paramref name="request"/> behind its 5-byte frame header in one buffer.</summary>
    public static byte[] CreateFrame(IMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        int size = request.CalculateSize();
        byte[] frame = new byte[GrpcFrame.HeaderLength + size];
        GrpcFrame.WriteHeader(frame, size);
        request.WriteTo(frame.AsSpan(GrpcFrame.HeaderLength));
        return frame;
    }

    /// <summary>
    /// Reads the server's retry advice from <c>grpc-status-details-bin</c>: a base64 <c>google.rpc.Status</c>
    /// whose details hold a <c>google.rpc.RetryInfo</c>. Null when absent or unreadable.
    /// </summary>
    internal static TimeSpan? ReadRetryDelay(HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcFrame.StatusDetailsHeader, out var values) || values.FirstOrDefault() is not { } value)
        {
            return null;
        }

        try
        {
            // gRPC sends binary headers base64-encoded, usually without padding.
            string encoded = value.Trim();
            encoded = encoded.PadRight(encoded.Length + ((4 - (encoded.Length % 4)) % 4), '=');
            return OtlpResponseReader.ReadRetryDelay(Convert.FromBase64String(encoded));
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException)
        {
            // Unreadable advice is no advice.
        }

        return null;
    }

    protected override HttpRequestMessage CreateRequest(byte[] payload, bool compressed, TimeSpan attemptTimeout)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, this.RequestUri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GrpcFrameContent(payload, compressed) { Headers = { ContentType = GrpcContentType } },
        };
        message.Headers.TryAddWithoutValidation("te", "trailers");
        if (compressed)
        {
            message.Headers.TryAddWithoutValidation(GrpcFrame.EncodingHeader, OtlpGzip.EncodingName);
        }

        message.Headers.TryAddWithoutValidation(GrpcFrame.AcceptEncodingHeader, "identity,gzip");
        long timeoutMs = Math.Clamp((long)Math.Ceiling(attemptTimeout.TotalMilliseconds), 1, MaxGrpcTimeoutMilliseconds);
        message.Headers.TryAddWithoutValidation("grpc-timeout", timeoutMs.ToString(CultureInfo.InvariantCulture) + "m");
        return message;
    }

    protected override async Task<OtlpExportResult> ReadResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Not a gRPC response (a proxy, or a server that does not speak gRPC on this port).
            return OtlpExportResult.Failure(
                OtlpExportResult.FromHttpStatus((int)response.StatusCode),
                $"HTTP status {(int)response.StatusCode} ({response.ReasonPhrase}) instead of a gRPC response.",
                ReadRetryAfter(response));
        }

        // A trailers-only response (typical for errors) carries the status in the headers and has no body.
        if (TryReadStatus(response.Headers, out var headerStatus, out string? headerMessage))
        {
            return headerStatus == GrpcStatusCode.Ok
                ? new OtlpExportResult(GrpcStatusCode.Ok, null)
                : OtlpExportResult.Failure(headerStatus, headerMessage ?? string.Empty, ReadRetryDelay(response.Headers));
        }

        byte[] body = await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);

        // Trailers are complete once the body has been read to its end.
        if (!TryReadStatus(response.TrailingHeaders, out var status, out string? statusMessage))
        {
            return OtlpExportResult.Failure(GrpcStatusCode.Internal, "The response carried no grpc-status.");
        }

        if (status != GrpcStatusCode.Ok)
        {
            return OtlpExportResult.Failure(status, statusMessage ?? string.Empty, ReadRetryDelay(response.TrailingHeaders));
        }

        if (body.Length == 0)
        {
            return new OtlpExportResult(GrpcStatusCode.Ok, null);
        }

        if (!GrpcFrame.TryReadMessage(body, out var message, out bool compressed, out string? frameError))
        {
            return OtlpExportResult.Failure(GrpcStatusCode.Internal, frameError!);
        }

        if (compressed)
        {
            bool gzip = response.Headers.TryGetValues(GrpcFrame.EncodingHeader, out var encodings)
                && encodings.Any(e => string.Equals(e.Trim(), OtlpGzip.EncodingName, StringComparison.OrdinalIgnoreCase));
            if (!gzip)
            {
                return OtlpExportResult.Failure(GrpcStatusCode.Internal, "Compressed response without a supported grpc-encoding.");
            }

            message = OtlpGzip.Decompress(message, MaxResponseBytes);
        }

        return OtlpResponseReader.ReadExportResponse(message.Span);
    }

    private static bool TryReadStatus(HttpHeaders headers, out GrpcStatusCode status, out string? message)
    {
        status = GrpcStatusCode.Unknown;
        message = null;
        if (!headers.TryGetValues(GrpcFrame.StatusHeader, out var statusValues))
        {
            return false;
        }

        string? statusText = statusValues.FirstOrDefault();
        if (!int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            message = $"Unparsable grpc-status '{statusText}'.";
            return true;
        }

        status = (GrpcStatusCode)code;
        if (headers.TryGetValues(GrpcFrame.MessageHeader, out var messageValues))
        {
            message = GrpcFrame.DecodeMessage(string.Join(",", messageValues));
        }

        return true;
    }
}
