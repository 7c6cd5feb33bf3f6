using System.Net;
using System.Net.Http.Headers;
using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Profiling.Exporter.Grpc;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// OTLP/HTTP with binary protobuf: <c>POST {endpoint}</c>, <c>application/x-protobuf</c>, optionally
/// <c>Content-Encoding: gzip</c>.
/// </summary>
internal sealed class OtlpHttpProtobufTransport : OtlpProfileTransport
{
    public const string ContentType = "application/x-protobuf";

    private static readonly MediaTypeHeaderValue ProtobufContentType = new(ContentType);

    /// <summary>Creates a transport that posts to <paramref name="requestUri"/>, the full URL with the signal path.</summary>
    public OtlpHttpProtobufTransport(
        Uri requestUri,
        TimeSpan timeout,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        HttpMessageHandler? handler = null,
        OtlpProfileExportCompression compression = OtlpProfileExportCompression.None,
        OtlpTlsSettings? tls = null)
        : base(requestUri, timeout, headers ?? [], handler, compression, tls)
    {
    }

    protected override HttpRequestMessage CreateRequest(byte[] payload, bool compressed, TimeSpan attemptTimeout)
    {
        var content = CreateContent(payload, ProtobufContentType);
        if (compressed)
        {
            content.Headers.ContentEncoding.Add(OtlpGzip.EncodingName);
        }

        return new HttpRequestMessage(HttpMethod.Post, this.RequestUri) { Content = content };
    }

    protected override async Task<OtlpExportResult> ReadResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] body = await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // The body would be a google.rpc.Status; the status code says enough, and a body may echo the
            // request (headers included), so it is not logged.
            return OtlpExportResult.Failure(
                OtlpExportResult.FromHttpStatus((int)response.StatusCode),
                $"HTTP status {(int)response.StatusCode} ({response.ReasonPhrase}).",
                ReadRetryAfter(response));
        }

        bool isProtobuf = response.Content.Headers.ContentType?.MediaType == ContentType;
        return body.Length == 0 || !isProtobuf
            ? new OtlpExportResult(GrpcStatusCode.Ok, null)
            : OtlpResponseReader.ReadExportResponse(body);
    }
}
