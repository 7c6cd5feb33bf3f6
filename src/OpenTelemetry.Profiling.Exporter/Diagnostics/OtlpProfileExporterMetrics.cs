using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace OpenTelemetry.Profiling.Exporter.Diagnostics;

/// <summary>
/// The exporter's self-diagnostics metrics, on the meter <c>OpenTelemetry.Profiling.Exporter</c>. Every
/// measurement carries <c>server.address</c> and <c>server.port</c> of the exporter's endpoint, so several
/// exporters in one process stay apart. One instance per exporter also keeps the running totals for tests.
/// </summary>
internal sealed class OtlpProfileExporterMetrics : IDisposable
{
    public const string MeterName = "OpenTelemetry.Profiling.Exporter";

    public const string ReasonQueueFull = "queue_full";

    public const string ReasonShutdown = "shutdown";

    private static readonly ConcurrentDictionary<OtlpProfileExporterMetrics, byte> Live = new();
    private static readonly Meter Meter = new(MeterName, OtlpResourceEncoding.ScopeVersion);

    private static readonly Counter<long> SucceededCounter = Meter.CreateCounter<long>(
        "profiling.exporter.exports.succeeded", "{export}", "Export calls the endpoint accepted, partial successes included.");

    private static readonly Counter<long> FailedCounter = Meter.CreateCounter<long>(
        "profiling.exporter.exports.failed", "{export}", "Export calls that failed after their retries; a retryable failure keeps the batch queued.");

    private static readonly Counter<long> RetriedCounter = Meter.CreateCounter<long>(
        "profiling.exporter.exports.retried", "{retry}", "Attempts retried within an export call after a retryable failure.");

    private static readonly Counter<long> DroppedCounter = Meter.CreateCounter<long>(
        "profiling.exporter.batches.dropped", "{batch}", "Requests dropped before delivery, by reason: queue_full (the oldest made room) or shutdown.");

    private static readonly Counter<long> BytesSentCounter = Meter.CreateCounter<long>(
        "profiling.exporter.bytes.sent", "By", "Bytes of request messages accepted by the endpoint, before compression.");

    private static readonly Counter<long> RejectedCounter = Meter.CreateCounter<long>(
        "profiling.exporter.profiles.rejected", "{profile}", "Profiles the endpoint rejected in partial successes.");

    private static readonly ObservableGauge<int> QueueDepthGauge = Meter.CreateObservableGauge(
        "profiling.exporter.queue.depth", ObserveQueueDepth, "{batch}", "Requests waiting for the network.");

    private readonly TagList tags;
    private readonly Func<int> queueDepth;
    private long succeeded;
    private long failed;
    private long retried;
    private long dropped;
    private long bytesSent;
    private long rejectedProfiles;

    public OtlpProfileExporterMetrics(Uri endpoint, Func<int> queueDepth)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        this.queueDepth = queueDepth;
        this.tags = new TagList
        {
            { "server.address", endpoint.Host },
            { "server.port", endpoint.Port },
        };
        Live.TryAdd(this, 0);
    }

    public long Succeeded => Interlocked.Read(ref this.succeeded);

    public long Failed => Interlocked.Read(ref this.failed);

    public long Retried => Interlocked.Read(ref this.retried);

    public long Dropped => Interlocked.Read(ref this.dropped);

    public long BytesSent => Interlocked.Read(ref this.bytesSent);

    public long RejectedProfiles => Interlocked.Read(ref this.rejectedProfiles);

    public void RecordSucceeded(long bytes, long rejected)
    {
        Interlocked.Increment(ref this.succeeded);
        Interlocked.Add(ref this.bytesSent, bytes);
        SucceededCounter.Add(1, this.tags);
        BytesSentCounter.Add(bytes, this.tags);
        if (rejected > 0)
        {
            Interlocked.Add(ref this.rejectedProfiles, rejected);
            RejectedCounter.Add(rejected, this.tags);
        }
    }

    public void RecordFailed()
    {
        Interlocked.Increment(ref this.failed);
        FailedCounter.Add(1, this.tags);
    }

    public void RecordRetried()
    {
        Interlocked.Increment(ref this.retried);
        RetriedCounter.Add(1, this.tags);
    }

    public void RecordDropped(int count, string reason)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref this.dropped, count);
        var withReason = this.tags;
        withReason.Add("reason", reason);
        DroppedCounter.Add(count, withReason);
    }

    public void Dispose() => Live.TryRemove(this, out _);

    private static IEnumerable<Measurement<int>> ObserveQueueDepth()
    {
        foreach (var metrics in Live.Keys)
        {
            yield return new Measurement<int>(metrics.queueDepth(), metrics.tags);
        }
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"succeeded={this.Succeeded} failed={this.Failed} retried={this.Retried} dropped={this.Dropped} bytesSent={this.BytesSent} rejected={this.RejectedProfiles}");
}
