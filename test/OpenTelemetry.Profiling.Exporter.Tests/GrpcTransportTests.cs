using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Profiling.Testing;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter.Tests;

[TestClass]
public sealed class GrpcTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Export_WhenReceiverAccepts_SucceedsAndTheReceiverGetsTheSameRequest()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var transport = new GrpcTransport(receiver.GrpcEndpoint, Timeout);
        var request = OtlpProfileConverter.ToRequest(TestBatches.CpuBatch());

        var result = await transport.ExportAsync(request, this.TestContext.CancellationToken);

        Assert.IsTrue(result.IsSuccess, result.Message);
        Assert.IsFalse(result.IsPartialSuccess);
        Assert.AreEqual(request, receiver.ProfileRequests.Single());
    }

    [TestMethod]
    public async Task Export_SendsGrpcHeadersAndAFramedBody()
    {
        string? contentType = null, te = null, path = null;
        string? protocol = null;
        byte[]? body = null;
        await using var server = await TestGrpcServer.StartAsync(async context =>
        {
            contentType = context.Request.ContentType;
            te = context.Request.Headers["te"];
            path = context.Request.Path;
            protocol = context.Request.Protocol;
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            body = buffer.ToArray();
            await WriteOkAsync(context, new ExportProfilesServiceResponse());
        });
        using var transport = new GrpcTransport(server.Endpoint, Timeout, [new("x-api-key", "secret")]);
        var request = OtlpProfileConverter.ToRequest(TestBatches.CpuBatch());

        var result = await transport.ExportAsync(request, this.TestContext.CancellationToken);

        Assert.IsTrue(result.IsSuccess, result.Message);
        Assert.AreEqual("application/grpc", contentType);
        Assert.AreEqual("trailers", te);
        Assert.AreEqual("/" + GrpcTransport.ExportPath, path);
        Assert.AreEqual("HTTP/2", protocol);
        CollectionAssert.AreEqual(GrpcTransport.CreateFrame(request), body);
    }

    [TestMethod]
    public async Task Export_WhenCollectorReturnsUnavailable_ReportsStatusAndMessage()
    {
        await using var server = await TestGrpcServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.FlushAsync();
            context.Response.AppendTrailer("grpc-status", "14");
            context.Response.AppendTrailer("grpc-message", "collector overloaded%3A retry later");
        });
        using var transport = new GrpcTransport(server.Endpoint, Timeout);

        var result = await transport.ExportAsync(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()), this.TestContext.CancellationToken);

        Assert.AreEqual(GrpcStatusCode.Unavailable, result.StatusCode);
        Assert.AreEqual("collector overloaded: retry later", result.Message);
    }

    [TestMethod]
    public async Task Export_WhenCollectorSendsATrailersOnlyError_ReportsTheStatusFromTheHeaders()
    {
        await using var server = await TestGrpcServer.StartAsync(context =>
        {
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "12";
            context.Response.Headers["grpc-message"] = "unknown service";
            return Task.CompletedTask;
        });
        using var transport = new GrpcTransport(server.Endpoint, Timeout);

        var result = await transport.ExportAsync(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()), this.TestContext.CancellationToken);

        Assert.AreEqual(GrpcStatusCode.Unimplemented, result.StatusCode);
        Assert.AreEqual("unknown service", result.Message);
    }

    [TestMethod]
    public async Task Export_WhenCollectorReportsPartialSuccess_SucceedsWithTheRejectedCount()
    {
        await using var server = await TestGrpcServer.StartAsync(context => WriteOkAsync(context, new ExportProfilesServiceResponse
        {
            PartialSuccess = new ExportProfilesPartialSuccess { RejectedProfiles = 2, ErrorMessage = "too old" },
        }));
        using var transport = new GrpcTransport(server.Endpoint, Timeout);

        var result = await transport.ExportAsync(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()), this.TestContext.CancellationToken);

        Assert.IsTrue(result.IsPartialSuccess);
        Assert.AreEqual(2, result.RejectedProfiles);
        Assert.AreEqual("too old", result.PartialSuccessMessage);
    }

    [TestMethod]
    public async Task Export_WhenResponseFrameIsMalformed_ReturnsInternalWithoutThrowing()
    {
        await using var server = await TestGrpcServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 9, 1 });
            context.Response.AppendTrailer("grpc-status", "0");
        });
        using var transport = new GrpcTransport(server.Endpoint, Timeout);

        var result = await transport.ExportAsync(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()), this.TestContext.CancellationToken);

        Assert.AreEqual(GrpcStatusCode.Internal, result.StatusCode);
        Assert.Contains("declares 9 bytes", result.Message!);
    }

    [TestMethod]
    public async Task Export_WhenServerAnswersWithHttpError_MapsTheHttpStatus()
    {
        await using var server = await TestGrpcServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });
        using var transport = new GrpcTransport(server.Endpoint, Timeout);

        var result = await transport.ExportAsync(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()), this.TestContext.CancellationToken);

        Assert.AreEqual(GrpcStatusCode.Unavailable, result.StatusCode);
        Assert.Contains("503", result.Message!);
    }

    [TestMethod]
    public async Task Export_WhenNothingListens_ReturnsUnavailableWithoutThrowing()
    {
        using var transport = new GrpcTransport(new Uri($"http://127.0.0.1:{ClosedPort.Next()}"), Timeout);

        var result = await transport.ExportAsync(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()), this.TestContext.CancellationToken);

        Assert.AreEqual(GrpcStatusCode.Unavailable, result.StatusCode);
        Assert.IsFalse(string.IsNullOrEmpty(result.Message));
    }

    [TestMethod]
    public async Task Export_WhenCollectorHangs_ReturnsDeadlineExceededAfterTheTimeout()
    {
        using var release = new CancellationTokenSource();
        await using var server = await TestGrpcServer.StartAsync(async context =>
        {
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(release.Token, context.RequestAborted).Token);
            }
            catch (OperationCanceledException)
            {
                // Released by the test or the client going away.
            }
        });
        using var transport = new GrpcTransport(server.Endpoint, TimeSpan.FromMilliseconds(300));
        var started = System.Diagnostics.Stopwatch.StartNew();

        var result = await transport.ExportAsync(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()), this.TestContext.CancellationToken);

        release.Cancel();
        Assert.AreEqual(GrpcStatusCode.DeadlineExceeded, result.StatusCode);
        Assert.IsLessThan(TimeSpan.FromSeconds(5), started.Elapsed);
    }

    [TestMethod]
    public async Task Export_OverHttpProtobuf_ReachesTheReceiversHttpListener()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        var endpoint = OtlpProfileExporterSettings.AppendSignalPath(receiver.HttpEndpoint);
        using var transport = new OtlpHttpProtobufTransport(endpoint, Timeout);
        var request = OtlpProfileConverter.ToRequest(TestBatches.CpuBatch());

        var result = await transport.ExportAsync(request, this.TestContext.CancellationToken);

        Assert.IsTrue(result.IsSuccess, result.Message);
        Assert.AreEqual(request, receiver.ProfileRequests.Single());
    }

    [TestMethod]
    public async Task Exporter_WhenNothingListens_QueuesWithoutThrowingAndReportsUnavailable()
    {
        using var exporter = OtlpProfileExporterTests.Create(new Uri($"http://127.0.0.1:{ClosedPort.Next()}"), OtlpProfileExportProtocol.Grpc);

        var result = await Task.Run(() => exporter.Export(TestBatches.CpuBatch(), this.TestContext.CancellationToken));

        Assert.AreEqual(ExportResult.Success, result, "queued: the network is the sender's business");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (exporter.LastResult is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, this.TestContext.CancellationToken);
        }

        Assert.AreEqual(GrpcStatusCode.Unavailable, exporter.LastResult!.Value.StatusCode);
    }

    [TestMethod]
    public async Task Exporter_WhenReceiverAccepts_Delivers()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        var settings = new OtlpProfileExporterSettings(OtlpProfileExportProtocol.Grpc, receiver.GrpcEndpoint, Timeout, []);
        using var exporter = new OtlpProfileExporter(settings);

        var result = await Task.Run(() => exporter.Export(TestBatches.CpuBatch(), this.TestContext.CancellationToken));

        Assert.AreEqual(ExportResult.Success, result);
        Assert.IsTrue(await receiver.WaitForProfileRequestsAsync(1, Timeout, this.TestContext.CancellationToken));
        Assert.IsEmpty(receiver.ValidateProfiles());
    }

    private static async Task WriteOkAsync(HttpContext context, IMessage response)
    {
        context.Response.ContentType = "application/grpc";
        await context.Response.Body.WriteAsync(GrpcTransport.CreateFrame(response));
        context.Response.AppendTrailer("grpc-status", "0");
    }
}
