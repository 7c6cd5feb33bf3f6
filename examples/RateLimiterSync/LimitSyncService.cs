using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace RateLimiterSync;

/// <summary>
/// Keeps the per-key quotas cluster-wide: on a fixed period, outside any request, <see cref="SyncLimits"/>
/// pulls every peer's counters, merges them (draining the local buckets by what peers handed out), pushes the
/// merged state back and checks that all nodes agree. The peers are simulated in-process, so the work both
/// sides of the wire would do runs here; it is real CPU and grows with keys × peers.
/// </summary>
internal sealed class LimitSyncService : BackgroundService
{
    private readonly LimitStore store;
    private readonly RateLimiterTelemetry telemetry;
    private readonly TimeSpan interval;
    private readonly PeerNode[] peers;
    private long lastRoundTimestamp = Stopwatch.GetTimestamp();
    private long rounds;
    private long busyTicks;
    private long cpuTicks;
    private long rejectedEntries;
    private long divergedRounds;

    public LimitSyncService(LimitStore store, RateLimiterTelemetry telemetry, ExampleOptions options)
    {
        this.store = store;
        this.telemetry = telemetry;
        this.interval = options.SyncInterval;
        this.peers = [.. Enumerable.Range(1, store.NodeCount - 1).Select(id => new PeerNode(id, store))];
    }

    /// <summary>Gets the number of rounds completed.</summary>
    public long Rounds => Interlocked.Read(ref this.rounds);

    /// <summary>Gets the wall-clock time spent inside <see cref="SyncLimits"/>: pure CPU work, so close to its CPU time.</summary>
    public TimeSpan BusyTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref this.busyTicks));

    /// <summary>Gets the CPU time the threads running <see cref="SyncLimits"/> spent in it, as the OS counts it.</summary>
    public TimeSpan CpuTime => TimeSpan.FromTicks(Interlocked.Read(ref this.cpuTicks));

    /// <summary>Gets the number of rounds after which a peer's digest differed from ours.</summary>
    public long DivergedRounds => Interlocked.Read(ref this.divergedRounds);

    /// <summary>Gets the number of entries dropped for a bad signature (zero unless something is broken).</summary>
    public long RejectedEntries => Interlocked.Read(ref this.rejectedEntries);

    /// <summary>Gets the number of simulated peers.</summary>
    public int PeerCount => this.peers.Length;

    /// <summary>One sync round, synchronous on purpose: the whole round is on one thread, under its own span.</summary>
    /// <param name="round">The round number, carried in the snapshots.</param>
    internal void SyncLimits(long round)
    {
        // What the peers' own clients consumed since the last round. Not sync work, so outside the span.
        long now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(this.lastRoundTimestamp, now);
        this.lastRoundTimestamp = now;
        foreach (var peer in this.peers)
        {
            peer.SimulateTraffic(elapsed);
        }

        using var activity = this.telemetry.ActivitySource.StartActivity("SyncLimits");
        long start = Stopwatch.GetTimestamp();
        var cpuStart = ThreadCpuTime.Now();
        long learnt = 0;
        long bytes = 0;
        int rejected = 0;

        // Pull: every peer's snapshot, verified entry by entry, merged into the local buckets.
        foreach (var peer in this.peers)
        {
            byte[] payload = peer.ExportSnapshot(round);
            bytes += payload.Length;
            var (entries, bad) = ReplicationCodec.Decode(payload);
            rejected += bad;
            foreach (var entry in entries)
            {
                learnt += this.store.Find(entry.Key)?.Merge(entry.Consumed) ?? 0;
            }
        }

        // Push: the merged state goes back to every peer, so all nodes hold the same counters.
        var snapshot = new List<KeyValuePair<string, long[]>>(this.store.All.Count);
        foreach (var limit in this.store.All)
        {
            snapshot.Add(KeyValuePair.Create(limit.Key, limit.SnapshotConsumed()));
        }

        byte[] merged = ReplicationCodec.Encode(TenantLimit.LocalSlot, round, snapshot);
        foreach (var peer in this.peers)
        {
            bytes += merged.Length;
            rejected += peer.ImportSnapshot(merged);
        }

        // Verify: the digest of what we pushed must equal every peer's digest after the merge.
        string digest = ReplicationCodec.Digest(snapshot);
        bool converged = this.peers.All(peer => string.Equals(peer.Digest(), digest, StringComparison.Ordinal));

        var cpu = ThreadCpuTime.Now() - cpuStart;
        long end = Stopwatch.GetTimestamp();
        var duration = Stopwatch.GetElapsedTime(start, end);
        Interlocked.Add(ref this.busyTicks, end - start);
        Interlocked.Add(ref this.cpuTicks, cpu.Ticks);
        Interlocked.Increment(ref this.rounds);
        Interlocked.Add(ref this.rejectedEntries, rejected);
        if (!converged)
        {
            Interlocked.Increment(ref this.divergedRounds);
        }

        this.telemetry.RecordSync(duration, learnt, converged);
        if (activity is not null)
        {
            activity.SetTag("ratelimiter.sync.round", round);
            activity.SetTag("ratelimiter.sync.keys", this.store.All.Count);
            activity.SetTag("ratelimiter.sync.peers", this.peers.Length);
            activity.SetTag("ratelimiter.sync.bytes", bytes);
            activity.SetTag("ratelimiter.sync.peer_tokens", learnt);
            activity.SetTag("ratelimiter.sync.rejected_entries", rejected);
            activity.SetTag("ratelimiter.sync.converged", converged);
            activity.SetTag("ratelimiter.sync.cpu_ms", Math.Round(cpu.TotalMilliseconds, 2));
            activity.SetTag("ratelimiter.sync.digest", digest);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Every round is the root of its own trace, never a child of whatever was current when the host started.
        Activity.Current = null;

        // A fixed period (not a pause after each round): a slow round eats into the next wait, as in production.
        using var timer = new PeriodicTimer(this.interval);
        long round = 0;
        try
        {
            do
            {
                this.SyncLimits(++round);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
    }
}
