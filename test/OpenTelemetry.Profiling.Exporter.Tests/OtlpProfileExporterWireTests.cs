using System.Net;
using System.Net.Http.Headers;
using OpenTelemetry.Profiling.Exporter.Delivery;
using OpenTelemetry.Profiling.Receiver;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>What goes on the wire: the same message bytes whatever the protocol, and gzip both ways.</summary>
[TestClass]
public sealed class OtlpProfileExporterWireTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(OtlpProfileExportCompression.None)]
    [DataRow(OtlpProfileExportCompression.Gzip)]
    public async Task GrpcAndHttp_DeliverByteIdenticalRequestMessages(OtlpProfileExportCompression compression)
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        var request = ProfileBatchSplitter.Encode(TestBatches.CpuBatch(), int.MaxValue).Single();
        using var grpc = OtlpRequestDeliveryTests.CreateTransport(receiver, OtlpProfileExportProtocol.Grpc, Timeout, compression);
        using var http = OtlpRequestDeliveryTests.CreateTransport(receiver, OtlpProfileExportProtocol.HttpProtobuf, Timeout, compression);

        var viaGrpc = await grpc.ExportAsync(request, Timeout, this.TestContext.CancellationToken);
        var viaHttp = await http.ExportAsync(request, Timeout, this.TestContext.CancellationToken);

        Assert.IsTrue(viaGrpc.IsSuccess, viaGrpc.Message);
        Assert.IsTrue(viaHttp.IsSuccess, viaHttp.Message);
        var messages = receiver.ProfileMessages;
        Assert.HasCount(2, messages);
        Assert.IsTrue(messages[0].Grpc);
        Assert.IsFalse(messages[1].Grpc);
        CollectionAssert.AreEqual(request.Message, messages[0].Message);
        CollectionAssert.AreEqual(request.Message, messages[1].Message);
    }

    [TestMethod]
    [DataRow(OtlpProfileExportProtocol.Grpc)]
    [DataRow(OtlpProfileExportProtocol.HttpProtobuf)]
    public async Task Gzip_RoundTripsThroughTheExporter(OtlpProfileExportProtocol protocol)
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        var baseUri = protocol == OtlpProfileExportProtocol.Grpc ? receiver.GrpcEndpoint : receiver.HttpEndpoint;
        using var exporter = OtlpProfileExporterTests.Create(baseUri, protocol, compression: OtlpProfileExportCompression.Gzip);
        var batch = TestBatches.Large(500);

        exporter.Export(batch, CancellationToken.None);
        Assert.IsTrue(exporter.Shutdown(Timeout));

        var received = receiver.ProfileMessages.Single();
        var sent = ProfileBatchSplitter.Encode(batch, int.MaxValue).Single();
        this.TestContext.WriteLine($"{sent.Message.Length} B message, {sent.GetGzip().Length} B gzip");
        Assert.AreEqual("gzip", received.Encoding);
        Assert.AreEqual(sent.Message.Length, received.Message.Length, "same message, only profile ids differ");
        Assert.IsEmpty(receiver.ValidateProfiles());
        Assert.AreEqual(1000, receiver.ProfileRequests.Single().ResourceProfiles[0].ScopeProfiles[0].Profiles.Sum(p => p.Samples.Count));
        Assert.IsLessThan(sent.Message.Length / 2, sent.GetGzip().Length);
    }

    [TestMethod]
    public async Task Receiver_RejectsAnEncodingItDoesNotKnow()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var client = new HttpClient();
        var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("br");

        using var response = await client.PostAsync(new Uri(receiver.HttpEndpoint, LocalOtlpReceiver.ProfilesHttpPath), content, this.TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.AreEqual(0, receiver.ProfileRequestCount);
    }
}
