using System.Diagnostics;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Receives the runtime's thread samples, links each to the span that was current on its thread at that
/// instant, and aggregates them for the current interval. The sampler consumer thread adds; the export thread
/// swaps the aggregator out at the end of each interval (a short uncontended lock per sample: the only point
/// where the two meet).
/// </summary>
internal sealed class CpuSampleCollector
{
    // Samples of one round are written back to back; rounds are about a millisecond apart (more when the
    // sampling rate was lowered). A larger gap is a pause in sampling, not a round.
    private static readonly long RoundGapTicks = Stopwatch.Frequency / 5000;
    private static readonly long PauseTicks = Stopwatch.Frequency / 10;

    private readonly Lock gate = new();
    private readonly HashSet<int> ownThreads = [];
    private SampleAggregator current;
    private SampleAggregator spare;
    private long lastSampleTimestamp;
    private long roundStartTimestamp;
    private long roundGapSum;
    private long roundGaps;
    private long rounds;

    public CpuSampleCollector(int maxStacks)
    {
        this.current = new SampleAggregator(maxStacks);
        this.spare = new SampleAggregator(maxStacks);
    }

    /// <summary>Gets the number of samples left unlinked because their thread's switch history no longer reached back to them.</summary>
    public long CorrelationLost { get; private set; }

    /// <summary>Gets the number of samples taken on the profiler's own threads or inside its own work, and dropped.</summary>
    public long OwnSamplesDropped { get; private set; }

    /// <summary>Excludes a thread of the profiler itself from profiles.</summary>
    public void ExcludeThread(int osThreadId)
    {
        lock (this.gate)
        {
            this.ownThreads.Add(osThreadId);
        }
    }

    /// <summary>Adds one sample. <paramref name="managed"/> is false when the thread was blocked or in native code.</summary>
    public void OnSample(int threadId, long timestamp, ReadOnlySpan<ulong> stack, bool managed)
    {
        lock (this.gate)
        {
            this.CountRound(timestamp);
            if (!managed || stack.IsEmpty)
            {
                return;
            }

            if (this.ownThreads.Contains(threadId))
            {
                this.OwnSamplesDropped++;
                return;
            }

            Activity? span = null;
            if (SpanTracker.TryGetHistory(threadId, out var history))
            {
                if (history!.TryGetStateAt(timestamp, out object? state) == SpanLookupResult.Lost)
                {
                    this.CorrelationLost++;
                }
                else if (ReferenceEquals(state, SpanTracker.ProfilerWork))
                {
                    this.OwnSamplesDropped++;
                    return;
                }
                else
                {
                    span = state as Activity;
                }
            }

            this.current.Add(threadId, stack, span, 1);
        }
    }

    /// <summary>
    /// Ends the interval: returns its samples, the number of sampling rounds seen and the mean time between
    /// rounds while sampling was on (nanoseconds, 0 if unknown). The caller hands the aggregator back with
    /// <see cref="Recycle"/> once it has built the profile.
    /// </summary>
    public SampleAggregator Swap(out long rounds, out long roundIntervalNanos)
    {
        lock (this.gate)
        {
            var full = this.current;
            this.current = this.spare;
            this.spare = null!;
            rounds = this.rounds;
            roundIntervalNanos = this.roundGaps == 0 ? 0 : (long)(this.roundGapSum / (double)this.roundGaps * 1e9 / Stopwatch.Frequency);
            this.roundGapSum = 0;
            this.roundGaps = 0;
            this.rounds = 0;
            return full;
        }
    }

    public void Recycle(SampleAggregator aggregator)
    {
        aggregator.Clear();
        lock (this.gate)
        {
            this.spare = aggregator;
        }
    }

    private void CountRound(long timestamp)
    {
        // A round starts when the previous sample is more than a round gap old; the period is the distance
        // between round starts, leaving out pauses (sampling windows switched off).
        if (this.lastSampleTimestamp == 0 || timestamp - this.lastSampleTimestamp > RoundGapTicks)
        {
            long sinceLastRound = timestamp - this.roundStartTimestamp;
            if (this.roundStartTimestamp != 0 && sinceLastRound < PauseTicks)
            {
                this.roundGapSum += sinceLastRound;
                this.roundGaps++;
            }

            this.roundStartTimestamp = timestamp;
            this.rounds++;
        }

        this.lastSampleTimestamp = timestamp;
    }
}
