using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
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

    public GrpcTransport(Uri endpoint, TimeSpan timeout, IReadOnlyList<KeyValuePair<string, string>>? headers = null, HttpMessageHandler? handler = null)
        : base(BuildRequestUri(endpoint), timeout, headers ?? [], handler)
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

    protected override HttpRequestMessage CreateRequest(ExportProfilesServiceRequest request)
    {
        var content = new ByteArrayContent(CreateFrame(request));
        content.Headers.ContentType = GrpcContentType;
        var message = new HttpRequestMessage(HttpMethod.Post, this.RequestUri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        message.Headers.TryAddWithoutValidation("te", "trailers");
        message.Headers.TryAddWithoutValidation("grpc-accept-encoding", "identity");
        long timeoutMs = Math.Min((long)Math.Ceiling(this.Timeout.TotalMilliseconds), MaxGrpcTimeoutMilliseconds);
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
                $"HTTP status {(int)response.StatusCode} ({response.ReasonPhrase}) instead of a gRPC response.");
        }

        // A trailers-only response (typical for errors) carries the status in the headers and has no body.
        if (TryReadStatus(response.Headers, out var headerStatus, out string? headerMessage))
        {
            return headerStatus == GrpcStatusCode.Ok
                ? new OtlpExportResult(GrpcStatusCode.Ok, null)
                : OtlpExportResult.Failure(headerStatus, headerMessage ?? string.Empty);
        }

        byte[] body = await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);

        // Trailers are complete once the body has been read to its end.
        if (!TryReadStatus(response.TrailingHeaders, out var status, out string? statusMessage))
        {
            return OtlpExportResult.Failure(GrpcStatusCode.Internal, "The response carried no grpc-status.");
        }

        if (status != GrpcStatusCode.Ok)
        {
            return OtlpExportResult.Failure(status, statusMessage ?? string.Empty);
        }

        if (body.Length == 0)
        {
            return new OtlpExportResult(GrpcStatusCode.Ok, null);
        }

        if (!GrpcFrame.TryReadMessage(body, out var message, out string? frameError))
        {
            return OtlpExportResult.Failure(GrpcStatusCode.Internal, frameError!);
        }

        return FromResponse(ExportProfilesServiceResponse.Parser.ParseFrom(message.Span));
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
