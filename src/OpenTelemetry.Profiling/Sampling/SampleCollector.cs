using System.Diagnostics;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Receives samples of every enabled profile type (thread samples for CPU and wall time; allocation,
/// contention and exception events), links each to the span that was current on its thread at that instant,
/// and aggregates them for the current interval. Consumer threads add; the export thread swaps the aggregators
/// out at the end of each interval (a short uncontended lock per sample: the only point where they meet).
/// Samples of the profiler's own threads, or taken inside its own work, are dropped.
/// </summary>
internal sealed class SampleCollector
{
    // Rounds are about a millisecond apart (more when the sampling rate was lowered); a gap this long is a pause
    // in sampling (a window closed), not a round.
    private static readonly long PauseTicks = Stopwatch.Frequency / 10;

    // The runtime writes a round's samples as it walks the threads and flushes its buffers every 100 ms, so a
    // flush can end inside a round and hand over its other samples 100 ms later. A swap waits this long at most
    // for the round in progress to end, when samples came in lately (within FlowingTicks; a sampler that stopped
    // says so with RoundsEnded).
    private static readonly long RoundWaitTicks = Stopwatch.Frequency / 2;
    private static readonly long FlowingTicks = Stopwatch.Frequency;

    // Awaiting spans are looked for at most this often, each look counting the rounds since the last one: a
    // look walks every span in flight, and doing it at each round took the consumer a tenth of a core and
    // more inside windows at 30,000 requests a second.
    private static readonly long AwaitingLookTicks = Stopwatch.Frequency / 100;

    private readonly Lock gate = new();
    private readonly Lock swapGate = new();
    // The profiler's own threads by OS id, with the thread: the OS hands an ended thread's id to a new thread
    // (once its ids wrap around), and an app thread given the id of a window's ended reader must be profiled.
    private readonly Dictionary<int, Thread> ownThreads = [];
    private readonly ProfileType[] types;
    private readonly int maxStacks;
    private readonly InFlightSpans? inFlight;
    private readonly Action<SpanKey> addAwaiting;
    private readonly List<SpanKey> currentStates = [];
    private readonly HashSet<int> roundThreads = [];
    private SampleAggregator?[] current;
    private SampleAggregator?[]? spare;
    private long lastSampleTimestamp;
    private long lastSampleTakenIn;
    private int lastRoundThreads;
    private bool swapRequested;
    private bool roundsEnded;
    private IntervalSamples? handedOver;
    private long roundStartTimestamp;
    private long roundGapSum;
    private long roundGaps;
    private long rounds;
    private long previousIntervalLastRound;
    private bool firstRoundStandsForAGap;
    private long firstRoundTimestamp;
    private long cpuSamples;
    private long lastAwaitingLook;
    private int roundsSinceAwaitingLook;

    /// <summary>The address of the one frame of an awaiting span's wall samples: no real code lives at 1.</summary>
    public const ulong AwaitingFrameAddress = 1;

    private static readonly ulong[] AwaitingStack = [AwaitingFrameAddress];

    public SampleCollector(IReadOnlyList<ProfileType> enabledTypes, int maxStacks, InFlightSpans? inFlight = null)
    {
        this.types = [.. enabledTypes];
        this.maxStacks = maxStacks;
        this.inFlight = this.IsEnabled(ProfileType.Wall) ? inFlight : null;
        this.addAwaiting = span => this.Aggregator(ProfileType.Wall)?.Add(0, AwaitingStack, span, this.roundsSinceAwaitingLook);
        this.current = this.NewAggregators();
        this.spare = this.NewAggregators();
    }

    /// <summary>Gets the number of samples left unlinked because their thread's switch history no longer reached back to them.</summary>
    public long CorrelationLost { get; private set; }

    /// <summary>
    /// Gets or sets a value indicating whether the runtime's thread samples feed the CPU profile. False when the
    /// native sampler provides CPU samples: the runtime's samples then feed the wall profile only.
    /// </summary>
    public bool RuntimeCpuSamples { get; set; } = true;

    /// <summary>Gets the CPU samples kept since the collector was created (the sampling scheduler's measure).</summary>
    public long CpuSamples => Volatile.Read(ref this.cpuSamples);

    /// <summary>Gets a value indicating whether a swap is waiting for the round in progress to end.</summary>
    internal bool SwapWaitsForRound
    {
        get
        {
            lock (this.gate)
            {
                return this.swapRequested;
            }
        }
    }

    public bool IsEnabled(ProfileType type) => Array.IndexOf(this.types, type) >= 0;

    /// <summary>Excludes the calling thread, one of the profiler's own, from profiles while it runs.</summary>
    public void ExcludeThread(int osThreadId)
    {
        lock (this.gate)
        {
            // Each sampling window's reader thread comes here: the ended ones are let go.
            foreach (var (id, thread) in this.ownThreads)
            {
                if (!thread.IsAlive)
                {
                    this.ownThreads.Remove(id);
                }
            }

            this.ownThreads[osThreadId] = Thread.CurrentThread;
        }
    }

    /// <summary>Tells whether a thread is one of the profiler's own.</summary>
    public bool IsOwnThread(int osThreadId)
    {
        lock (this.gate)
        {
            return this.IsOwn(osThreadId);
        }
    }

    /// <summary>The number of the profiler's threads known to be its own (ended ones are let go at the next start).</summary>
    internal int OwnThreadCount
    {
        get
        {
            lock (this.gate)
            {
                return this.ownThreads.Count;
            }
        }
    }

    /// <summary>
    /// Marks when sampling starts (a Stopwatch timestamp): with windows, the first rounds stand for the time from
    /// here, as each window's rounds stand for the time since the previous window's. With
    /// <paramref name="continuous"/> sampling there is nothing to stand for before the first round but the
    /// sampler's own start-up, so the first round stands for one mean gap between rounds, as every other does.
    /// </summary>
    public void SamplingStarting(long timestamp, bool continuous = false)
    {
        lock (this.gate)
        {
            this.previousIntervalLastRound = continuous ? 0 : timestamp;
            this.firstRoundStandsForAGap = continuous;
        }
    }

    /// <summary>
    /// Adds one runtime thread sample: to CPU when the thread was in managed code, to wall time either way.
    /// <paramref name="managed"/> is false when the thread was blocked or in native code.
    /// </summary>
    public void OnThreadSample(int threadId, long timestamp, ReadOnlySpan<ulong> stack, bool managed)
    {
        lock (this.gate)
        {
            this.CountRound(threadId, timestamp);
            this.lastSampleTakenIn = Stopwatch.GetTimestamp();
            this.roundsEnded = false;
            if (!stack.IsEmpty && this.TryGetSpan(threadId, timestamp, out var span))
            {
                if (managed && this.RuntimeCpuSamples)
                {
                    this.Aggregator(ProfileType.Cpu)?.Add(threadId, stack, span, 1);
                    Volatile.Write(ref this.cpuSamples, this.cpuSamples + 1);
                }

                this.Aggregator(ProfileType.Wall)?.Add(threadId, stack, span, 1);
            }

            if (this.swapRequested && this.roundThreads.Count >= this.lastRoundThreads)
            {
                // The round the swap waited for has every thread it had last time: the interval ends here.
                this.HandOver();
            }
        }
    }

    /// <summary>
    /// Adds one CPU sample from the native sampler: a thread that was on a CPU, with its managed frames.
    /// <paramref name="weight"/> is the number of sampling periods it stands for (more than 1 when the thread's
    /// timer expired again before its signal was delivered).
    /// </summary>
    public void OnCpuSample(int threadId, long timestamp, ReadOnlySpan<ulong> stack, int weight)
    {
        lock (this.gate)
        {
            if (this.TryGetSpan(threadId, timestamp, out var span))
            {
                this.Aggregator(ProfileType.Cpu)?.Add(threadId, stack, span, weight);
                Volatile.Write(ref this.cpuSamples, this.cpuSamples + weight);
            }
        }
    }

    /// <summary>Adds one event sample (allocation, contention, exception) with its value and label (a type name).</summary>
    public void OnEvent(ProfileType type, int threadId, long timestamp, ReadOnlySpan<ulong> stack, long value, string? label)
    {
        lock (this.gate)
        {
            if (this.Aggregator(type) is { } aggregator && this.TryGetSpan(threadId, timestamp, out var span))
            {
                aggregator.Add(threadId, stack, span, value, label);
            }
        }
    }

    /// <summary>
    /// Ends the interval: returns its samples per profile type, the number of sampling rounds seen and the
    /// mean time between rounds while sampling was on (nanoseconds, 0 if unknown). The caller hands the
    /// aggregators back with <see cref="Recycle"/> once it has built the profiles.
    /// </summary>
    /// <remarks>
    /// An interval ends between two rounds: when rounds are coming in and the one in progress has fewer threads
    /// than the previous one, the swap waits (at most half a second) until it has them all or the next round
    /// starts. Cut inside a round, an interval holding a window's first rounds only (windows sparser than
    /// intervals) counted a round that missed some threads, and that round stood for all the time since the
    /// previous window: a thread left out of it showed no wall time for that time.
    /// </remarks>
    public IntervalSamples Swap()
    {
        lock (this.swapGate)
        {
            lock (this.gate)
            {
                if (this.roundsEnded || this.roundThreads.Count == 0 || this.roundThreads.Count >= this.lastRoundThreads
                    || Stopwatch.GetTimestamp() - this.lastSampleTakenIn >= FlowingTicks)
                {
                    return this.SwapNow();
                }

                this.swapRequested = true;
            }

            long deadline = Stopwatch.GetTimestamp() + RoundWaitTicks;
            while (true)
            {
                Thread.Sleep(1);
                lock (this.gate)
                {
                    if (this.handedOver is { } ended)
                    {
                        this.handedOver = null;
                        return ended;
                    }

                    if (Stopwatch.GetTimestamp() >= deadline)
                    {
                        this.swapRequested = false;
                        return this.SwapNow();
                    }
                }
            }
        }
    }

    /// <summary>
    /// Tells that the sampler's session has stopped and its samples have all been taken in: no round is in
    /// progress until the next sample, so a swap need not wait for one.
    /// </summary>
    public void RoundsEnded()
    {
        lock (this.gate)
        {
            this.roundsEnded = true;
            if (this.swapRequested)
            {
                this.HandOver();
            }
        }
    }

    private void HandOver()
    {
        this.swapRequested = false;
        this.handedOver = this.SwapNow();
    }

    // Under the gate.
    private IntervalSamples SwapNow()
    {
        var full = this.current;
        this.current = this.spare ?? this.NewAggregators();
        this.spare = null;
        long interval = this.roundGaps == 0 ? 0 : (long)(this.roundGapSum / (double)this.roundGaps * 1e9 / Stopwatch.Frequency);

        // Rounds reach the consumer 100-300 ms after they happen (more at start-up), so an interval counts
        // some rounds of the previous one and leaves its last ones to the next; the time between the last
        // rounds of two intervals is what this interval's rounds cover, whatever the delay. Until the first
        // round arrives (it can take more than an interval at start-up) they cover the time since sampling
        // started (with windows; see SamplingStarting for continuous sampling). Intervals without rounds
        // (windows sparser than intervals) are skipped: the next rounds stand for the time since the last
        // ones, which their profile then says it covers.
        long coveredFrom = this.rounds > 0 ? this.previousIntervalLastRound : 0;
        if (this.rounds > 0 && this.firstRoundStandsForAGap)
        {
            // Continuous sampling's first rounds: from one mean gap before the first round (unknown with a
            // single round: then the interval's duration, as when nothing is known).
            coveredFrom = this.roundGaps > 0 ? this.firstRoundTimestamp - (this.roundGapSum / this.roundGaps) : 0;
            this.firstRoundStandsForAGap = false;
        }

        long covered = coveredFrom != 0
            ? (long)((this.roundStartTimestamp - coveredFrom) * 1e9 / Stopwatch.Frequency)
            : 0;
        if (this.rounds > 0)
        {
            this.previousIntervalLastRound = this.roundStartTimestamp;
        }

        var result = new IntervalSamples(this.types, full, this.rounds, interval, covered, coveredFrom);
        this.roundGapSum = 0;
        this.roundGaps = 0;
        this.rounds = 0;
        return result;
    }

    public void Recycle(IntervalSamples samples)
    {
        foreach (var aggregator in samples.Aggregators)
        {
            aggregator?.Clear();
        }

        lock (this.gate)
        {
            this.spare = samples.Aggregators;
        }
    }

    private SampleAggregator?[] NewAggregators() => [.. this.types.Select(_ => new SampleAggregator(this.maxStacks))];

    private SampleAggregator? Aggregator(ProfileType type)
    {
        int index = Array.IndexOf(this.types, type);
        return index < 0 ? null : this.current[index];
    }

    /// <summary>Finds the span current on the thread at that time; false when the sample must be dropped as the profiler's own.</summary>
    private bool TryGetSpan(int threadId, long timestamp, out SpanKey span)
    {
        span = default;
        if (this.IsOwn(threadId))
        {
            return false;
        }

        if (SpanTracker.TryGetHistory(threadId, out var history))
        {
            if (history!.TryGetStateAt(timestamp, out var state) == SpanLookupResult.Lost)
            {
                this.CorrelationLost++;
            }
            else if (state.IsProfilerWork)
            {
                return false;
            }
            else
            {
                span = state;
            }
        }

        return true;
    }

    // An ended thread's id is no longer the profiler's: samples it took before it ended are its work's anyway
    // (each profiler thread runs as profiler work in its span history), later ones are of a new thread.
    private bool IsOwn(int osThreadId) => this.ownThreads.TryGetValue(osThreadId, out var thread) && thread.IsAlive;

    private void CountRound(int threadId, long timestamp)
    {
        // Each round samples every managed thread once: a round starts with a thread the current round already
        // has, or after a pause. (Telling rounds by the time between samples split a round whenever walking one
        // thread, or the sampler's core, took longer than the gap allowed: a busy machine's rounds counted
        // twice and wall time read half.) The period is the distance between round starts, leaving out pauses
        // (sampling windows switched off).
        if (this.lastSampleTimestamp == 0 || timestamp - this.lastSampleTimestamp >= PauseTicks || !this.roundThreads.Add(threadId))
        {
            if (this.swapRequested)
            {
                // The round the swap waited for is over (a thread of it ended): this one is the next interval's.
                this.HandOver();
            }

            this.lastRoundThreads = this.roundThreads.Count;
            this.roundThreads.Clear();
            this.roundThreads.Add(threadId);
            long sinceLastRound = timestamp - this.roundStartTimestamp;
            if (this.roundStartTimestamp != 0 && sinceLastRound < PauseTicks)
            {
                this.roundGapSum += sinceLastRound;
                this.roundGaps++;
                this.roundsSinceAwaitingLook++;
            }
            else
            {
                // The first round after a pause is looked at, and stands for itself only: the rounds left
                // after the last look of the previous window (under 10 ms of them) are not counted.
                this.roundsSinceAwaitingLook = 1;
                this.lastAwaitingLook = 0;
            }

            if (this.firstRoundTimestamp == 0)
            {
                this.firstRoundTimestamp = timestamp;
            }

            this.roundStartTimestamp = timestamp;
            this.rounds++;

            // Spans awaiting at this round hold no thread; they get a wall sample of their own, worth the
            // rounds since the last look.
            if (this.inFlight is { } inFlight && (this.lastAwaitingLook == 0 || timestamp - this.lastAwaitingLook >= AwaitingLookTicks))
            {
                if (inFlight.Count > 0)
                {
                    SpanTracker.StatesAt(timestamp, this.currentStates);
                    inFlight.ForEachAwaiting(timestamp, this.currentStates, this.addAwaiting);
                }

                this.lastAwaitingLook = timestamp;
                this.roundsSinceAwaitingLook = 0;
            }
        }

        this.lastSampleTimestamp = timestamp;
    }
}
