using System.Net;
using System.Net.Http.Headers;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>OTLP/HTTP with binary protobuf: <c>POST {endpoint}</c>, <c>application/x-protobuf</c>.</summary>
internal sealed class OtlpHttpProtobufTransport : OtlpProfileTransport
{
    public const string ContentType = "application/x-protobuf";

    private static readonly MediaTypeHeaderValue ProtobufContentType = new(ContentType);

    /// <summary>Creates a transport that posts to <paramref name="requestUri"/>, the full URL with the signal path.</summary>
    public OtlpHttpProtobufTransport(Uri requestUri, TimeSpan timeout, IReadOnlyList<KeyValuePair<string, string>>? headers = null, HttpMessageHandler? handler = null)
        : base(requestUri, timeout, headers ?? [], handler)
    {
    }

    protected override HttpRequestMessage CreateRequest(ExportProfilesServiceRequest request)
    {
        var content = new ByteArrayContent(Google.Protobuf.MessageExtensions.ToByteArray(request));
        content.Headers.ContentType = ProtobufContentType;
        return new HttpRequestMessage(HttpMethod.Post, this.RequestUri) { Content = content };
    }

    protected override async Task<OtlpExportResult> ReadResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] body = await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // The body would be a google.rpc.Status; its status code and reason say enough for a log line.
            return OtlpExportResult.Failure(
                OtlpExportResult.FromHttpStatus((int)response.StatusCode),
                $"HTTP status {(int)response.StatusCode} ({response.ReasonPhrase}).");
        }

        bool isProtobuf = response.Content.Headers.ContentType?.MediaType == ContentType;
        return body.Length == 0 || !isProtobuf
            ? new OtlpExportResult(GrpcStatusCode.Ok, null)
            : FromResponse(ExportProfilesServiceResponse.Parser.ParseFrom(body));
    }
}
