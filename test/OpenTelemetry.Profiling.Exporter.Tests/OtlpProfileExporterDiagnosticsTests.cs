using System.Diagnostics.Metrics;
using OpenTelemetry.Profiling.Exporter.Diagnostics;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Profiling.Testing;

namespace OpenTelemetry.Profiling.Exporter.Tests;

// The EventSource and the meter see every exporter in the process, so these tests do not run beside others.
[TestClass]
[DoNotParallelize]
public sealed class OtlpProfileExporterDiagnosticsTests
{
    private const string Token = "s3cr3t-T0ken/+=";
    private const string ApiKey = "k3y-v4lue-42";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task HeaderValues_NeverAppearInDiagnostics_EvenWhenTheServerEchoesThem()
    {
        using var listener = new ExporterEventListener();
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        receiver.Behaviour = async context =>
        {
            string echoed = $"{context.Request.Headers.Authorization} {context.Request.Headers["x-api-key"]}";
            var failure = context.Request.Path.Value == LocalOtlpReceiver.ProfilesHttpPath
                ? CollectorBehaviours.HttpStatus(401, reason: "Unauthorized " + echoed)
                : CollectorBehaviours.GrpcStatus(GrpcStatusCode.Unavailable, "rejected " + echoed);
            await failure(context);
            return true;
        };
        var headers = new KeyValuePair<string, string>[] { new("authorization", "Bearer " + Token), new("x-api-key", ApiKey) };

        foreach (var (baseUri, protocol) in new[]
        {
            (receiver.GrpcEndpoint, OtlpProfileExportProtocol.Grpc),
            (receiver.HttpEndpoint, OtlpProfileExportProtocol.HttpProtobuf),
            (new Uri($"http://127.0.0.1:{ClosedPort.Next()}"), OtlpProfileExportProtocol.Grpc),
        })
        {
            using var exporter = OtlpProfileExporterTests.Create(baseUri, protocol, headers: headers);
            exporter.Export(TestBatches.CpuBatch(), CancellationToken.None);
            Assert.IsTrue(await OtlpProfileExporterTests.WaitUntilAsync(() => exporter.Metrics.Failed > 0), $"{protocol} {baseUri} failed at least once");
            exporter.Shutdown(TimeSpan.Zero);
        }

        var events = listener.Events;
        var texts = events.SelectMany(e => (e.Payload ?? []).Select(p => p?.ToString() ?? string.Empty).Append(e.Message ?? string.Empty)).ToList();
        this.TestContext.WriteLine(string.Join(Environment.NewLine, events.Select(e => $"{e.EventId} {string.Join(" | ", e.Payload ?? [])}")));
        Assert.IsTrue(events.Any(e => e.EventId == 1), "failures were reported");
        Assert.IsTrue(events.Any(e => e.EventId == 6), "retries were reported");
        Assert.IsTrue(texts.Any(t => t.Contains(HeaderValueRedactor.Replacement, StringComparison.Ordinal)), "the echo was there, redacted");
        foreach (string secret in (string[])[Token, ApiKey, Uri.EscapeDataString(Token)])
        {
            Assert.IsFalse(texts.Any(t => t.Contains(secret, StringComparison.OrdinalIgnoreCase)), $"'{secret}' leaked");
        }
    }

    [TestMethod]
    public async Task PartialSuccess_IsReportedThroughTheEventSourceAndCounted()
    {
        using var listener = new ExporterEventListener();
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);
        receiver.Behaviour = CollectorBehaviours.Always(CollectorBehaviours.GrpcPartialSuccess(3, "profiles too old"));
        using var exporter = OtlpProfileExporterTests.Create(receiver.GrpcEndpoint, OtlpProfileExportProtocol.Grpc);

        exporter.Export(TestBatches.CpuBatch(), CancellationToken.None);
        Assert.IsTrue(exporter.Shutdown(Timeout));

        Assert.AreEqual(1, exporter.Metrics.Succeeded);
        Assert.AreEqual(3, exporter.Metrics.RejectedProfiles);
        var partial = listener.Events.Single(e => e.EventId == 2);
        Assert.AreEqual(3L, partial.Payload![1]);
        Assert.AreEqual("profiles too old", partial.Payload[2]);
    }

    [TestMethod]
    public async Task Metrics_AreReportedOnTheExporterMeter()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync(cancellationToken: this.TestContext.CancellationToken);

        // The first request is answered once all four batches are queued, so the queue of one drops two of them
        // whatever the scheduling (answered at once, its retry could empty the queue between two exports).
        var allQueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Behaviour = CollectorBehaviours.FirstThen(1, async context =>
        {
            await allQueued.Task.WaitAsync(TimeSpan.FromSeconds(4), this.TestContext.CancellationToken);
            await CollectorBehaviours.GrpcStatus(GrpcStatusCode.Unavailable)(context);
        });
        int port = receiver.GrpcEndpoint.Port;
        var totals = new Dictionary<string, long>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == OtlpProfileExporterMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "server.port" && (int)tag.Value! == port)
                {
                    lock (totals)
                    {
                        totals[instrument.Name] = (instrument is ObservableGauge<int> ? 0 : totals.GetValueOrDefault(instrument.Name)) + value;
                    }
                }
            }
        }

        meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        meterListener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        meterListener.Start();

        using var exporter = OtlpProfileExporterTests.Create(receiver.GrpcEndpoint, OtlpProfileExportProtocol.Grpc, maxQueuedBatches: 1, timeout: TimeSpan.FromSeconds(5));
        for (int i = 0; i < 4; i++)
        {
            exporter.Export(TestBatches.Numbered(i), CancellationToken.None);
        }

        allQueued.SetResult();
        meterListener.RecordObservableInstruments();
        Assert.IsTrue(exporter.Shutdown(Timeout));

        lock (totals)
        {
            this.TestContext.WriteLine(string.Join(", ", totals.Select(t => $"{t.Key}={t.Value}")));
            Assert.AreEqual(exporter.Metrics.Succeeded, totals["profiling.exporter.exports.succeeded"]);
            Assert.AreEqual(1, totals["profiling.exporter.exports.retried"]);
            Assert.AreEqual(exporter.Metrics.Dropped, totals["profiling.exporter.batches.dropped"]);
            Assert.IsGreaterThanOrEqualTo(2, totals["profiling.exporter.batches.dropped"], "a queue of one drops while the first is retried");
            Assert.AreEqual(exporter.Metrics.BytesSent, totals["profiling.exporter.bytes.sent"]);
            Assert.IsGreaterThan(0, totals["profiling.exporter.bytes.sent"]);
            Assert.IsTrue(totals.ContainsKey("profiling.exporter.queue.depth"));
        }
    }
}
