using System.Diagnostics;
using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Profiling.Exporter.Delivery;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Profiling.Testing;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>
/// The retry schedule of one export call against a real loopback collector told to misbehave; waits between
/// attempts are recorded instead of slept (except where real time is the point).
/// </summary>
[TestClass]
public sealed class OtlpRequestDeliveryTests
{
    private static readonly TimeSpan LongDeadline = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Deliver_WhenCollectorIsUnavailableTwice_RetriesWithGrowingBackoffThenSucceeds()
    {
        await using var receiver = await this.StartReceiverAsync();
        var seen = new CollectorBehaviours.Counter();
        receiver.Behaviour = CollectorBehaviours.FirstThen(2, CollectorBehaviours.GrpcStatus(GrpcStatusCode.Unavailable), seen);

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc);

        Assert.IsTrue(outcome.Result.IsSuccess, outcome.Result.Message);
        Assert.AreEqual(3, outcome.Attempts);
        CollectionAssert.AreEqual(new[] { 1000d, 1500 }, delays.Milliseconds.ToArray());
        Assert.AreEqual(1, receiver.ProfileRequestCount);
    }

    [TestMethod]
    public async Task Deliver_WhenCollectorStaysUnavailable_StopsAfterMaxAttemptsAndAdvisesTheNextDelay()
    {
        await using var receiver = await this.StartReceiverAsync();
        var seen = new CollectorBehaviours.Counter();
        receiver.Behaviour = CollectorBehaviours.Always(CollectorBehaviours.GrpcStatus(GrpcStatusCode.Unavailable), seen);

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc);

        Assert.AreEqual(GrpcStatusCode.Unavailable, outcome.Result.StatusCode);
        Assert.AreEqual(5, outcome.Attempts);
        Assert.AreEqual(5, seen.Value);
        CollectionAssert.AreEqual(new[] { 1000d, 1500, 2250, 3375 }, delays.Milliseconds.ToArray());
        Assert.AreEqual(TimeSpan.FromSeconds(5), outcome.RetryAfter);
    }

    [TestMethod]
    public async Task Deliver_WhenTheDeadlineComesFirst_DoesNotWaitPastIt()
    {
        await using var receiver = await this.StartReceiverAsync();
        var seen = new CollectorBehaviours.Counter();
        receiver.Behaviour = CollectorBehaviours.Always(CollectorBehaviours.GrpcStatus(GrpcStatusCode.Unavailable), seen);

        // Attempts at 0 s, 1 s and 2.5 s; the next would be at 4.75 s, past the 4.7 s deadline. (The waits pass on
        // a manual clock; each attempt's own timeout is what is left of the deadline in real time, so the third
        // gets 2.2 s to reach the collector on a loaded machine.)
        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc, TimeSpan.FromSeconds(4.7));

        Assert.AreEqual(3, outcome.Attempts);
        Assert.AreEqual(3, seen.Value);
        CollectionAssert.AreEqual(new[] { 1000d, 1500 }, delays.Milliseconds.ToArray());
        Assert.IsTrue(outcome.ShouldRetryLater);
    }

    [TestMethod]
    [DataRow((int)GrpcStatusCode.Cancelled)]
    [DataRow((int)GrpcStatusCode.DeadlineExceeded)]
    [DataRow((int)GrpcStatusCode.Aborted)]
    [DataRow((int)GrpcStatusCode.OutOfRange)]
    [DataRow((int)GrpcStatusCode.Unavailable)]
    [DataRow((int)GrpcStatusCode.DataLoss)]
    public async Task Deliver_WhenTheGrpcStatusIsRetryable_RetriesOnce(int status)
    {
        var code = (GrpcStatusCode)status;
        await using var receiver = await this.StartReceiverAsync();
        receiver.Behaviour = CollectorBehaviours.FirstThen(1, CollectorBehaviours.GrpcStatus(code));

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc);

        Assert.IsTrue(outcome.Result.IsSuccess, outcome.Result.Message);
        Assert.AreEqual(2, outcome.Attempts);
        Assert.HasCount(1, delays.Milliseconds);
    }

    [TestMethod]
    [DataRow((int)GrpcStatusCode.Unknown)]
    [DataRow((int)GrpcStatusCode.InvalidArgument)]
    [DataRow((int)GrpcStatusCode.NotFound)]
    [DataRow((int)GrpcStatusCode.PermissionDenied)]
    [DataRow((int)GrpcStatusCode.ResourceExhausted)]
    [DataRow((int)GrpcStatusCode.FailedPrecondition)]
    [DataRow((int)GrpcStatusCode.Unimplemented)]
    [DataRow((int)GrpcStatusCode.Internal)]
    [DataRow((int)GrpcStatusCode.Unauthenticated)]
    public async Task Deliver_WhenTheGrpcStatusIsNotRetryable_TriesOnce(int status)
    {
        var code = (GrpcStatusCode)status;
        await using var receiver = await this.StartReceiverAsync();
        var seen = new CollectorBehaviours.Counter();
        receiver.Behaviour = CollectorBehaviours.Always(CollectorBehaviours.GrpcStatus(code), seen);

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc);

        Assert.AreEqual(code, outcome.Result.StatusCode);
        Assert.AreEqual(1, outcome.Attempts);
        Assert.AreEqual(1, seen.Value);
        Assert.IsEmpty(delays.Milliseconds);
        Assert.IsFalse(outcome.ShouldRetryLater);
    }

    [TestMethod]
    public async Task Deliver_WhenResourceExhaustedCarriesRetryInfo_WaitsTheAdvisedDelay()
    {
        await using var receiver = await this.StartReceiverAsync();
        receiver.Behaviour = CollectorBehaviours.FirstThen(1, CollectorBehaviours.GrpcStatus(GrpcStatusCode.ResourceExhausted, "slow down", TimeSpan.FromMilliseconds(2500)));

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc);

        Assert.IsTrue(outcome.Result.IsSuccess, outcome.Result.Message);
        CollectionAssert.AreEqual(new[] { 2500d }, delays.Milliseconds.ToArray());
    }

    [TestMethod]
    public async Task Deliver_WhenTheAdvisedDelayIsAbsurd_CapsItAndLeavesTheWaitToTheQueue()
    {
        await using var receiver = await this.StartReceiverAsync();
        receiver.Behaviour = CollectorBehaviours.Always(CollectorBehaviours.GrpcStatus(GrpcStatusCode.Unavailable, "maintenance", TimeSpan.FromHours(1)));

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc, TimeSpan.FromSeconds(10));

        Assert.AreEqual(1, outcome.Attempts);
        Assert.IsEmpty(delays.Milliseconds);
        Assert.AreEqual(TimeSpan.FromSeconds(30), outcome.RetryAfter);
    }

    [TestMethod]
    [DataRow(429, true)]
    [DataRow(502, true)]
    [DataRow(503, true)]
    [DataRow(504, true)]
    [DataRow(400, false)]
    [DataRow(401, false)]
    [DataRow(403, false)]
    [DataRow(404, false)]
    [DataRow(413, false)]
    [DataRow(500, false)]
    public async Task Deliver_OverHttp_RetriesOnlyThrottlingAndGatewayStatuses(int status, bool retried)
    {
        await using var receiver = await this.StartReceiverAsync();
        var seen = new CollectorBehaviours.Counter();
        receiver.Behaviour = CollectorBehaviours.FirstThen(1, CollectorBehaviours.HttpStatus(status), seen);

        var (outcome, _) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.HttpProtobuf);

        Assert.AreEqual(retried, outcome.Result.IsSuccess, outcome.Result.Message);
        Assert.AreEqual(retried ? 2 : 1, outcome.Attempts);
        Assert.AreEqual(retried ? 2 : 1, seen.Value);
    }

    [TestMethod]
    public async Task Deliver_OverHttp_HonoursRetryAfterInSeconds()
    {
        await using var receiver = await this.StartReceiverAsync();
        receiver.Behaviour = CollectorBehaviours.FirstThen(1, CollectorBehaviours.HttpStatus(503, retryAfter: "3"));

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.HttpProtobuf);

        Assert.IsTrue(outcome.Result.IsSuccess, outcome.Result.Message);
        CollectionAssert.AreEqual(new[] { 3000d }, delays.Milliseconds.ToArray());
    }

    [TestMethod]
    public async Task Deliver_OverHttp_HonoursRetryAfterAsAnHttpDate()
    {
        await using var receiver = await this.StartReceiverAsync();

        // The date is written when the response is: the connection's set-up before it must not eat into the delay.
        receiver.Behaviour = CollectorBehaviours.FirstThen(1, context =>
            CollectorBehaviours.HttpStatus(429, retryAfter: DateTimeOffset.UtcNow.AddSeconds(6).ToString("R", System.Globalization.CultureInfo.InvariantCulture))(context));

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.HttpProtobuf);

        Assert.IsTrue(outcome.Result.IsSuccess, outcome.Result.Message);
        double delay = delays.Milliseconds.Single();
        Assert.IsTrue(delay is > 4000 and <= 6000, $"delay {delay} ms from an HTTP-date 6 s ahead (second resolution)");
    }

    [TestMethod]
    public async Task Deliver_OverGrpc_HonoursRetryAfterFromAProxy()
    {
        await using var receiver = await this.StartReceiverAsync();
        receiver.Behaviour = CollectorBehaviours.FirstThen(1, CollectorBehaviours.HttpStatus(503, retryAfter: "2"));

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc);

        Assert.IsTrue(outcome.Result.IsSuccess, outcome.Result.Message);
        CollectionAssert.AreEqual(new[] { 2000d }, delays.Milliseconds.ToArray());
    }

    [TestMethod]
    [DataRow(OtlpProfileExportProtocol.Grpc)]
    [DataRow(OtlpProfileExportProtocol.HttpProtobuf)]
    public async Task Deliver_WhenNothingListens_RetriesTheRefusedConnection(OtlpProfileExportProtocol protocol)
    {
        var endpoint = new Uri($"http://127.0.0.1:{ClosedPort.Next()}");
        using var transport = CreateTransport(endpoint, protocol, LongDeadline);
        var delays = new RecordedDelays();

        var outcome = await new OtlpRequestDelivery(transport, OtlpRetryPolicy.Default, delays.Source).DeliverAsync(Request(), this.TestContext.CancellationToken);

        Assert.AreEqual(GrpcStatusCode.Unavailable, outcome.Result.StatusCode);
        Assert.AreEqual(5, outcome.Attempts);
        Assert.IsTrue(outcome.ShouldRetryLater);
    }

    [TestMethod]
    [DataRow(OtlpProfileExportProtocol.Grpc)]
    [DataRow(OtlpProfileExportProtocol.HttpProtobuf)]
    public async Task Deliver_WhenTheConnectionIsResetMidRequest_RetriesAndDelivers(OtlpProfileExportProtocol protocol)
    {
        await using var receiver = await this.StartReceiverAsync();
        receiver.Behaviour = CollectorBehaviours.FirstThen(1, CollectorBehaviours.ResetMidRequest());

        var (outcome, _) = await this.DeliverAsync(receiver, protocol);

        Assert.IsTrue(outcome.Result.IsSuccess, outcome.Result.Message);
        Assert.AreEqual(2, outcome.Attempts);
        Assert.AreEqual(1, receiver.ProfileRequestCount);
    }

    [TestMethod]
    public async Task Deliver_WhenCollectorHangs_GivesUpAtTheDeadline()
    {
        await using var receiver = await this.StartReceiverAsync();
        using var release = new CancellationTokenSource();
        receiver.Behaviour = CollectorBehaviours.Always(CollectorBehaviours.Hang(release.Token));
        using var transport = CreateTransport(receiver, OtlpProfileExportProtocol.Grpc, TimeSpan.FromMilliseconds(400));
        var request = Request();
        var stopwatch = Stopwatch.StartNew();

        var outcome = await new OtlpRequestDelivery(transport, OtlpRetryPolicy.Default, OtlpDelaySource.System).DeliverAsync(request, this.TestContext.CancellationToken);

        stopwatch.Stop();
        release.Cancel();
        Assert.AreEqual(GrpcStatusCode.DeadlineExceeded, outcome.Result.StatusCode);
        Assert.AreEqual(1, outcome.Attempts, "the one attempt used the whole deadline");
        Assert.IsTrue(outcome.ShouldRetryLater);

        // The collector still hung when the stopwatch stopped: a send that ignored the 400 ms deadline would not
        // have returned by then. The bound leaves a loaded machine seconds to cancel and unwind.
        Assert.IsTrue(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [TestMethod]
    public async Task Deliver_WhenCollectorAnswersSlowlyWithinTheDeadline_SucceedsFirstTime()
    {
        await using var receiver = await this.StartReceiverAsync();
        receiver.Behaviour = CollectorBehaviours.Slow(TimeSpan.FromMilliseconds(300));

        var (outcome, delays) = await this.DeliverAsync(receiver, OtlpProfileExportProtocol.Grpc, TimeSpan.FromSeconds(5));

        Assert.IsTrue(outcome.Result.IsSuccess, outcome.Result.Message);
        Assert.AreEqual(1, outcome.Attempts);
        Assert.IsEmpty(delays.Milliseconds);
    }

    internal static OtlpProfileTransport CreateTransport(LocalOtlpReceiver receiver, OtlpProfileExportProtocol protocol, TimeSpan timeout, OtlpProfileExportCompression compression = OtlpProfileExportCompression.None) =>
        CreateTransport(protocol == OtlpProfileExportProtocol.Grpc ? receiver.GrpcEndpoint : receiver.HttpEndpoint, protocol, timeout, compression);

    internal static OtlpProfileTransport CreateTransport(Uri baseUri, OtlpProfileExportProtocol protocol, TimeSpan timeout, OtlpProfileExportCompression compression = OtlpProfileExportCompression.None) =>
        protocol == OtlpProfileExportProtocol.Grpc
            ? new GrpcTransport(baseUri, timeout, compression: compression)
            : new OtlpHttpProtobufTransport(OtlpProfileExporterSettings.AppendSignalPath(baseUri), timeout, compression: compression);

    private static EncodedRequest Request() => ProfileBatchSplitter.Encode(TestBatches.CpuBatch(), int.MaxValue).Single();

    private Task<LocalOtlpReceiver> StartReceiverAsync() => LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);

    private async Task<(DeliveryOutcome Outcome, RecordedDelays Delays)> DeliverAsync(LocalOtlpReceiver receiver, OtlpProfileExportProtocol protocol, TimeSpan? deadline = null)
    {
        using var transport = CreateTransport(receiver, protocol, deadline ?? LongDeadline);
        var delays = new RecordedDelays();
        var delivery = new OtlpRequestDelivery(transport, OtlpRetryPolicy.Default, delays.Source);
        var outcome = await delivery.DeliverAsync(Request(), this.TestContext.CancellationToken);
        return (outcome, delays);
    }
}
