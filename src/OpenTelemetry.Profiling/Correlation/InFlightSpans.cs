using System.Collections.Concurrent;
using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The spans that have started and not yet ended (and those that ended less than a second ago, since samples
/// are processed after the fact), so the wall profile can show time a span spent awaiting: an <c>await</c>
/// holds no thread, so no thread sample ever sees it. At each sampling round, a span alive at that instant
/// that is not current on any thread, and none of whose children is running or awaiting, was awaiting.
/// Spans are kept as values keyed by span id (no activity is kept alive). Bounded: past
/// <see cref="MaxTracked"/> spans, new ones are not tracked.
/// </summary>
internal sealed class InFlightSpans
{
    public const int MaxTracked = 100_000;

    private static readonly long KeepEnded = Stopwatch.Frequency;

    private readonly ConcurrentDictionary<ulong, Life> spans = new();
    private readonly HashSet<ulong> covered = [];
    private readonly HashSet<ulong> hasWaitingChild = [];
    private readonly List<Life> candidates = [];
    private long untracked;

    /// <summary>
    /// The spans in the table, kept beside it: <see cref="ConcurrentDictionary{TKey, TValue}.Count"/> takes
    /// every lock of the table, and asking it at each span start made the app's threads contend (about 600
    /// contentions a second on the showcase).
    /// </summary>
    private int tracked;

    public int Count => Volatile.Read(ref this.tracked);

    /// <summary>Gets the number of spans not tracked because the table was full (their awaiting time is missing).</summary>
    public long Untracked => Interlocked.Read(ref this.untracked);

    /// <summary>
    /// Gets or sets a value indicating whether a sampling window is open (or its samples are still being
    /// consumed). Outside windows no awaiting sample is taken, so an ended span is forgotten at once instead
    /// of being kept for late lookups: the table then holds only live spans.
    /// </summary>
    public bool SamplingActive { get; set; } = true;

    public void OnStart(Activity span)
    {
        if (Volatile.Read(ref this.tracked) >= MaxTracked)
        {
            Interlocked.Increment(ref this.untracked);
            return;
        }

        var key = SpanTracker.KeyOf(span);
        ulong parent = span.Parent is { } local ? SpanKey.Id(local.SpanId) : 0;
        if (this.spans.TryAdd(key.SpanId, new Life(key, parent, Stopwatch.GetTimestamp(), long.MaxValue)))
        {
            Interlocked.Increment(ref this.tracked);
        }
    }

    public void OnEnd(Activity span)
    {
        ulong id = SpanKey.Id(span.SpanId);
        if (!this.SamplingActive)
        {
            this.Forget(id);
        }
        else if (this.spans.TryGetValue(id, out var life))
        {
            this.spans[id] = life with { End = Stopwatch.GetTimestamp() };
        }
    }

    /// <summary>
    /// Calls <paramref name="onAwaiting"/> for each span that was awaiting at <paramref name="timestamp"/>,
    /// given the spans current on threads then. Consumer thread only. Also forgets spans ended long before.
    /// </summary>
    public void ForEachAwaiting(long timestamp, List<SpanKey> currentStates, Action<SpanKey> onAwaiting)
    {
        this.covered.Clear();
        this.hasWaitingChild.Clear();
        this.candidates.Clear();
        foreach (var state in currentStates)
        {
            // A running span covers its ancestors: they wait for it, they do not await on their own.
            for (ulong id = state.SpanId; id != 0 && this.covered.Add(id); id = this.spans.TryGetValue(id, out var life) ? life.ParentSpanId : 0)
            {
            }
        }

        foreach (var (id, life) in this.spans)
        {
            if (life.End < timestamp - KeepEnded)
            {
                this.Forget(id);
            }
            else if (life.Start <= timestamp && timestamp < life.End && !this.covered.Contains(id))
            {
                this.candidates.Add(life);
            }
        }

        foreach (var life in this.candidates)
        {
            for (ulong parent = life.ParentSpanId; parent != 0 && this.hasWaitingChild.Add(parent); parent = this.spans.TryGetValue(parent, out var p) ? p.ParentSpanId : 0)
            {
            }
        }

        foreach (var life in this.candidates)
        {
            if (!this.hasWaitingChild.Contains(life.Key.SpanId))
            {
                onAwaiting(life.Key);
            }
        }
    }

    private void Forget(ulong id)
    {
        if (this.spans.TryRemove(id, out _))
        {
            Interlocked.Decrement(ref this.tracked);
        }
    }

    private readonly record struct Life(SpanKey Key, ulong ParentSpanId, long Start, long End);
}
