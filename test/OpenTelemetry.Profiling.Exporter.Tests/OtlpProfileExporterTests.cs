using System.Diagnostics;
using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Profiling.Exporter.Delivery;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Profiling.Testing;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>The exporter as the profiler sees it: a queue that never blocks, in front of a real loopback collector.</summary>
[TestClass]
public sealed class OtlpProfileExporterTests
{
    /// <summary>The default schedule shrunk 50-fold, so a long outage fits in a test.</summary>
    internal static readonly OtlpRetryPolicy FastPolicy = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        MaxAttempts = 3,
    };

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Export_WhenCollectorHangs_ReturnsAtOnceAndShutdownStaysBounded()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var release = new CancellationTokenSource();
        receiver.Behaviour = CollectorBehaviours.Always(CollectorBehaviours.Hang(release.Token));
        using var exporter = Create(receiver.GrpcEndpoint, OtlpProfileExportProtocol.Grpc, timeout: TimeSpan.FromSeconds(5));
        exporter.Export(TestBatches.Numbered(0), CancellationToken.None);

        var calls = new List<TimeSpan>();
        for (int i = 1; i <= 10; i++)
        {
            var call = Stopwatch.StartNew();
            Assert.AreEqual(ExportResult.Success, exporter.Export(TestBatches.Numbered(i), CancellationToken.None));
            calls.Add(call.Elapsed);
        }

        var slowest = calls.Max();
        var median = calls.Order().ElementAt(calls.Count / 2);

        var shutdown = Stopwatch.StartNew();
        bool drained = exporter.Shutdown(TimeSpan.FromMilliseconds(500));
        shutdown.Stop();
        release.Cancel();

        this.TestContext.WriteLine($"Export median {median.TotalMilliseconds:F2} ms, slowest {slowest.TotalMilliseconds:F2} ms; Shutdown(500 ms) took {shutdown.ElapsedMilliseconds} ms; {exporter.Metrics}");

        // A call that waited for the network would take the 5 s attempt timeout; the margin is for a loaded machine.
        Assert.IsTrue(median < TimeSpan.FromMilliseconds(20), $"Export median {median}");
        Assert.IsTrue(slowest < TimeSpan.FromSeconds(2), $"Export took {slowest}");
        Assert.IsFalse(drained);
        Assert.IsTrue(shutdown.Elapsed < TimeSpan.FromSeconds(2.5), $"Shutdown took {shutdown.Elapsed}");
        Assert.AreEqual(11, exporter.Metrics.Dropped, "everything undelivered is counted as dropped");
        Assert.AreEqual(ExportResult.Failure, exporter.Export(TestBatches.Numbered(99), CancellationToken.None), "no export after shutdown");
    }

    [TestMethod]
    public async Task Shutdown_WhenTheSendInFlightUnwindsLate_CountsEveryRequestOnce()
    {
        // A handler that ignores cancellation stands for a machine too loaded to unwind a send within the grace.
        using var handler = new StuckHandler();
        var settings = new OtlpProfileExporterSettings(
            OtlpProfileExportProtocol.HttpProtobuf, new Uri("http://127.0.0.1:4318/v1/profiles"), TimeSpan.FromSeconds(30), [], OtlpProfileExportCompression.None, null, 10, OtlpProfileExporterOptions.DefaultMaxQueuedBytes, OtlpProfileExporterOptions.DefaultMaxRequestBytes);
        using var exporter = new OtlpProfileExporter(settings, handler);
        for (int i = 0; i < 3; i++)
        {
            exporter.Export(TestBatches.Numbered(i), CancellationToken.None);
        }

        Assert.IsTrue(handler.Entered.Wait(Wait, this.TestContext.CancellationToken), "the first request is in flight");
        var shutdown = Stopwatch.StartNew();
        bool drained = exporter.Shutdown(TimeSpan.FromMilliseconds(100));
        shutdown.Stop();
        long droppedAtShutdown = exporter.Metrics.Dropped;

        handler.Release.Set();
        Assert.IsTrue(await WaitUntilAsync(() => exporter.SenderHasEnded), "the sender ends once its send unwinds");
        this.TestContext.WriteLine($"Shutdown(100 ms) took {shutdown.ElapsedMilliseconds} ms; at shutdown dropped={droppedAtShutdown}; after unwinding {exporter.Metrics}");

        Assert.IsFalse(drained);
        Assert.AreEqual(3, droppedAtShutdown, "the request in flight and the two queued are all counted when Shutdown returns");
        Assert.AreEqual(3, exporter.Metrics.Dropped, "the late unwinding neither counts the request again nor loses it");
        Assert.AreEqual(0, exporter.Metrics.Failed);
        Assert.AreEqual(0, exporter.Queue.Count, "nothing is stranded in the queue");
    }

    [TestMethod]
    public async Task Export_WhenCollectorIsDownForALongStretch_StaysBoundedDropsTheOldestAndResumesInOrder()
    {
        const int MaxQueued = 4;
        const int Batches = 40;
        int port = ClosedPort.Next();
        using var exporter = Create(new Uri($"http://127.0.0.1:{port}"), OtlpProfileExportProtocol.Grpc, maxQueuedBatches: MaxQueued, timeout: TimeSpan.FromSeconds(5));

        int deepest = 0;
        for (int i = 0; i < Batches; i++)
        {
            exporter.Export(TestBatches.Numbered(i), CancellationToken.None);
            deepest = Math.Max(deepest, exporter.Queue.Count);
            await Task.Delay(10, this.TestContext.CancellationToken);
        }

        long droppedWhileDown = exporter.Metrics.Dropped;
        await using var receiver = await LocalOtlpReceiver.StartAsync(grpcPort: port, cancellationToken: this.TestContext.CancellationToken);
        Assert.IsTrue(await WaitUntilAsync(() => receiver.ProfileRequestCount + exporter.Metrics.Dropped >= Batches), "every batch was delivered or counted as dropped");

        var received = receiver.ProfileRequests.Select(TestBatches.NumberOf).ToList();
        this.TestContext.WriteLine($"deepest queue {deepest} (high-water {exporter.Queue.HighWaterMark}), dropped {droppedWhileDown}, received [{string.Join(", ", received)}]; {exporter.Metrics}");
        Assert.IsLessThanOrEqualTo(MaxQueued, exporter.Queue.HighWaterMark);
        Assert.AreEqual(Batches, received.Count + exporter.Metrics.Dropped, "delivered + dropped = exported");
        Assert.IsLessThanOrEqualTo(MaxQueued + 1, received.Count, "at most the queue and the request in flight survive");
        CollectionAssert.AreEqual(received.Order().Distinct().ToList(), received, "in order, no duplicates");
        Assert.AreEqual(Batches - 1, received[^1], "the newest batch is never the one dropped");

        // Back to normal: new batches flow at once.
        for (int i = Batches; i < Batches + 3; i++)
        {
            exporter.Export(TestBatches.Numbered(i), CancellationToken.None);
        }

        Assert.IsTrue(await receiver.WaitForProfileRequestsAsync(received.Count + 3, Wait, this.TestContext.CancellationToken));
        CollectionAssert.AreEqual(new[] { Batches, Batches + 1, Batches + 2 }, receiver.ProfileRequests.Skip(received.Count).Select(TestBatches.NumberOf).ToArray());
    }

    [TestMethod]
    public async Task Export_WhenQueuedBytesPassTheBound_DropsTheOldest()
    {
        int requestBytes = ProfileBatchSplitter.Encode(TestBatches.Numbered(0), int.MaxValue).Single().Message.Length;
        int maxBytes = (requestBytes * 5) / 2;
        using var exporter = Create(new Uri($"http://127.0.0.1:{ClosedPort.Next()}"), OtlpProfileExportProtocol.HttpProtobuf, maxQueuedBytes: maxBytes);

        long mostBytes = 0;
        for (int i = 0; i < 10; i++)
        {
            exporter.Export(TestBatches.Numbered(i), CancellationToken.None);
            mostBytes = Math.Max(mostBytes, exporter.Queue.Bytes);
        }

        this.TestContext.WriteLine($"request {requestBytes} B, bound {maxBytes} B, most queued {mostBytes} B, high-water {exporter.Queue.HighWaterMark}, dropped {exporter.Metrics.Dropped}");
        Assert.IsLessThanOrEqualTo(maxBytes, mostBytes);
        Assert.IsLessThanOrEqualTo(2, exporter.Queue.HighWaterMark);
        Assert.IsGreaterThanOrEqualTo(7, exporter.Metrics.Dropped);
        await Task.CompletedTask;
    }

    [TestMethod]
    [DataRow(OtlpProfileExportProtocol.Grpc)]
    [DataRow(OtlpProfileExportProtocol.HttpProtobuf)]
    public async Task Export_WhenTheBatchIsLargerThanTheLimit_SplitsItIntoValidRequestsWithoutLosingASample(OtlpProfileExportProtocol protocol)
    {
        const int Limit = 16 * 1024;
        const int SamplesPerProfile = 1500;
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        using var exporter = Create(protocol == OtlpProfileExportProtocol.Grpc ? receiver.GrpcEndpoint : receiver.HttpEndpoint, protocol, maxQueuedBatches: 1000, maxRequestBytes: Limit);
        var batch = TestBatches.Large(SamplesPerProfile);
        int wholeSize = ProfileBatchSplitter.Encode(batch, int.MaxValue).Single().Message.Length;

        exporter.Export(batch, CancellationToken.None);
        Assert.IsTrue(exporter.Shutdown(Wait));

        var messages = receiver.ProfileMessages;
        this.TestContext.WriteLine($"{wholeSize} B batch split into {messages.Count} requests of {messages.Min(m => m.Message.Length)}..{messages.Max(m => m.Message.Length)} B (limit {Limit})");
        Assert.IsGreaterThan(1, messages.Count);
        Assert.IsTrue(messages.All(m => m.Message.Length <= Limit));
        Assert.IsEmpty(receiver.ValidateProfiles());
        var expected = new List<string>();
        foreach (string type in (string[])["cpu", "wall"])
        {
            for (int i = 0; i < SamplesPerProfile; i++)
            {
                expected.Add($"{type} App.Generated.Type{i % 97}.Method{i}<App.Program.Main thread={i % 13} linked={i % 3 == 0} value={i + 1}");
            }
        }

        CollectionAssert.AreEquivalent(expected, receiver.ProfileRequests.SelectMany(Describe).ToList());
    }

    [TestMethod]
    public async Task Shutdown_WhenCollectorAccepts_DeliversEverythingQueuedInOrder()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        receiver.Behaviour = CollectorBehaviours.Slow(TimeSpan.FromMilliseconds(30));
        using var exporter = Create(receiver.HttpEndpoint, OtlpProfileExportProtocol.HttpProtobuf);
        for (int i = 0; i < 5; i++)
        {
            exporter.Export(TestBatches.Numbered(i), CancellationToken.None);
        }

        Assert.IsTrue(exporter.Shutdown(Wait));

        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4 }, receiver.ProfileRequests.Select(TestBatches.NumberOf).ToArray());
        Assert.AreEqual(5, exporter.Metrics.Succeeded);
        Assert.AreEqual(0, exporter.Metrics.Dropped);
    }

    [TestMethod]
    public void Dispose_WithoutShutdownAndNothingListening_IsPrompt()
    {
        var exporter = Create(new Uri($"http://127.0.0.1:{ClosedPort.Next()}"), OtlpProfileExportProtocol.Grpc);
        exporter.Export(TestBatches.Numbered(0), CancellationToken.None);
        var stopwatch = Stopwatch.StartNew();

        exporter.Dispose();

        Assert.IsTrue(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"Dispose took {stopwatch.Elapsed}");
    }

    internal static OtlpProfileExporter Create(
        Uri baseUri,
        OtlpProfileExportProtocol protocol,
        int maxQueuedBatches = OtlpProfileExporterOptions.DefaultMaxQueuedBatches,
        int maxQueuedBytes = OtlpProfileExporterOptions.DefaultMaxQueuedBytes,
        int maxRequestBytes = OtlpProfileExporterOptions.DefaultMaxRequestBytes,
        TimeSpan? timeout = null,
        OtlpProfileExportCompression compression = OtlpProfileExportCompression.None,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var endpoint = protocol == OtlpProfileExportProtocol.Grpc ? baseUri : OtlpProfileExporterSettings.AppendSignalPath(baseUri);
        var settings = new OtlpProfileExporterSettings(protocol, endpoint, timeout ?? Wait, headers ?? [], compression, null, maxQueuedBatches, maxQueuedBytes, maxRequestBytes);
        return new OtlpProfileExporter(settings, FastPolicy, OtlpDelaySource.System);
    }

    internal static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > (timeout ?? Wait))
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    /// <summary>One line per sample: profile type, leaf and root function, thread, link and value.</summary>
    private static IEnumerable<string> Describe(ExportProfilesServiceRequest request)
    {
        var d = request.Dictionary;
        string Function(int location) => d.StringTable[d.FunctionTable[d.LocationTable[location].Lines[0].FunctionIndex].NameStrindex];
        foreach (var profile in request.ResourceProfiles.SelectMany(r => r.ScopeProfiles).SelectMany(s => s.Profiles))
        {
            foreach (Sample sample in profile.Samples)
            {
                var stack = d.StackTable[sample.StackIndex].LocationIndices;
                long thread = d.AttributeTable[sample.AttributeIndices.Single()].Value.IntValue;
                bool linked = sample.LinkIndex != 0 && !d.LinkTable[sample.LinkIndex].SpanId.Span.ToArray().All(b => b == 0);
                yield return $"{d.StringTable[profile.PeriodType.TypeStrindex]} {Function(stack[0])}<{Function(stack[^1])} thread={thread} linked={linked} value={sample.Values.Single()}";
            }
        }
    }

    /// <summary>Blocks every send until released, deaf to cancellation, then fails it.</summary>
    private sealed class StuckHandler : HttpMessageHandler
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.Run(() =>
        {
            this.Entered.Set();
            this.Release.Wait();
            return Task.FromException<HttpResponseMessage>(new HttpRequestException("the collector went away"));
        });

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                this.Entered.Dispose();
                this.Release.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
