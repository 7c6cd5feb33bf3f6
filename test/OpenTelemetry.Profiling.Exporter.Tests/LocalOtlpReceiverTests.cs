using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OpenTelemetry.Profiling.Exporter.Tests;

[TestClass]
public sealed class LocalOtlpReceiverTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task TraceExport_OverGrpc_StoresSpansWithHexIds()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var client = new HttpClient();

        var (status, _) = await PostGrpcAsync(client, receiver.GrpcEndpoint, LocalOtlpReceiver.TracesGrpcPath, GrpcTransport.CreateFrame(TraceRequest()));

        Assert.AreEqual("0", status);
        Assert.IsTrue(await receiver.WaitForSpansAsync(spans => spans.Count == 1, Wait, this.TestContext.CancellationToken));
        var span = receiver.Spans.Single();
        Assert.AreEqual(TestRequests.TraceIdHex, span.TraceId);
        Assert.AreEqual(TestRequests.SpanIdHex, span.SpanId);
        Assert.AreEqual("0102030405060708", span.ParentSpanId);
        Assert.AreEqual("GET /checkout", span.Name);
        Assert.AreEqual("200", span.Attributes["http.response.status_code"]);
    }

    [TestMethod]
    public async Task MetricsExport_OverGrpcAndHttp_IsCounted()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var client = new HttpClient();
        var metrics = new ExportMetricsServiceRequest();
        metrics.ResourceMetrics.Add(new ResourceMetrics { Resource = new Proto.Resource.V1.Resource() });

        var (status, _) = await PostGrpcAsync(client, receiver.GrpcEndpoint, LocalOtlpReceiver.MetricsGrpcPath, GrpcTransport.CreateFrame(metrics));
        using var content = new ByteArrayContent(metrics.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var response = await client.PostAsync(new Uri(receiver.HttpEndpoint, LocalOtlpReceiver.MetricsHttpPath), content, this.TestContext.CancellationToken);

        Assert.AreEqual("0", status);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.AreEqual(2, receiver.MetricRequestCount);
    }

    [TestMethod]
    public async Task ProfileExport_WithAMalformedFrame_AnswersInternalWithAMessage()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var client = new HttpClient();

        var (status, message) = await PostGrpcAsync(client, receiver.GrpcEndpoint, LocalOtlpReceiver.ProfilesGrpcPath, [0, 0, 0, 0, 9, 1]);

        Assert.AreEqual("13", status);
        Assert.Contains("declares 9 bytes", GrpcFrame.DecodeMessage(message!));
        Assert.AreEqual(0, receiver.ProfileRequestCount);
    }

    [TestMethod]
    public async Task ProfileExport_WithUnparsableProtobuf_AnswersInvalidArgument()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var client = new HttpClient();

        var (status, _) = await PostGrpcAsync(client, receiver.GrpcEndpoint, LocalOtlpReceiver.ProfilesGrpcPath, [0, 0, 0, 0, 2, 0x0A, 0x05]);

        Assert.AreEqual("3", status);
    }

    [TestMethod]
    public async Task WaitForProfilesAsync_ReturnsOnceThePredicateHolds()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var transport = new GrpcTransport(receiver.GrpcEndpoint, Wait);
        var waiting = receiver.WaitForProfilesAsync(requests => requests.Count == 2, Wait, this.TestContext.CancellationToken);

        await transport.ExportAsync(TestRequests.Hand(), this.TestContext.CancellationToken);
        await transport.ExportAsync(TestRequests.Hand(), this.TestContext.CancellationToken);

        Assert.IsTrue(await waiting);
        Assert.IsFalse(await receiver.WaitForProfileRequestsAsync(3, TimeSpan.FromMilliseconds(100), this.TestContext.CancellationToken));
        Assert.AreEqual(20, receiver.SummarizeProfiles().ProfileTypes[0].TotalValue);
    }

    [TestMethod]
    public async Task TotalSampleValue_SumsOneProfileTypeFromTheGivenTimeOn()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var transport = new GrpcTransport(receiver.GrpcEndpoint, Wait);
        var early = TestRequests.Hand();
        var late = TestRequests.Hand();
        ulong lateStart = (ulong)(DateTimeOffset.Parse("2026-01-01T00:00:10Z", System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UnixEpoch).Ticks * 100;
        foreach (var profile in late.ResourceProfiles[0].ScopeProfiles[0].Profiles)
        {
            profile.TimeUnixNano = lateStart;
        }

        await transport.ExportAsync(early, this.TestContext.CancellationToken);
        await transport.ExportAsync(late, this.TestContext.CancellationToken);

        Assert.AreEqual(20, receiver.TotalSampleValue("cpu/nanoseconds", DateTimeOffset.MinValue));
        Assert.AreEqual(4, receiver.TotalSampleValue("wall/nanoseconds", DateTimeOffset.MinValue));
        Assert.AreEqual(10, receiver.TotalSampleValue("cpu/nanoseconds", DateTimeOffset.Parse("2026-01-01T00:00:05Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.AreEqual(0, receiver.TotalSampleValue("cpu/nanoseconds", DateTimeOffset.Parse("2026-01-01T00:00:11Z", System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static ExportTraceServiceRequest TraceRequest()
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Convert.FromHexString(TestRequests.TraceIdHex)),
            SpanId = ByteString.CopyFrom(Convert.FromHexString(TestRequests.SpanIdHex)),
            ParentSpanId = ByteString.CopyFrom([1, 2, 3, 4, 5, 6, 7, 8]),
            Name = "GET /checkout",
            Kind = SpanKind.Server,
        };
        span.Attributes.Add(new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = 200 } });
        var scopeSpans = new ScopeSpans();
        scopeSpans.Spans.Add(span);
        var resourceSpans = new ResourceSpans();
        resourceSpans.ScopeSpans.Add(scopeSpans);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resourceSpans);
        return request;
    }

    private static async Task<(string? Status, string? Message)> PostGrpcAsync(HttpClient client, Uri endpoint, string path, byte[] frame)
    {
        using var content = new ByteArrayContent(frame);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Find(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
            : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return (Find("grpc-status"), Find("grpc-message"));
    }
}
