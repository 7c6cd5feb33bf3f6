using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The spans that have started and not yet ended (and, inside sampling windows, those that ended after the
/// last round looked at, since samples are processed after the fact), so the wall profile can show time a
/// span spent awaiting: an <c>await</c> holds no thread, so no thread sample ever sees it. At a sampling
/// round, a span alive at that instant that is not current on any thread, and none of whose children is
/// running or awaiting, was awaiting.
/// Spans are kept as values keyed by span id (no activity is kept alive). Bounded: past
/// <see cref="MaxTracked"/> spans, new ones are not tracked.
/// </summary>
internal sealed class InFlightSpans
{
    public const int MaxTracked = 100_000;

    private readonly CountedDictionary<ulong, Life> spans = new();
    private readonly HashSet<ulong> covered = [];
    private readonly HashSet<ulong> hasWaitingChild = [];
    private readonly List<Life> candidates = [];
    private long untracked;

    public int Count => this.spans.Count;

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
        if (this.spans.Count >= MaxTracked)
        {
            Interlocked.Increment(ref this.untracked);
            return;
        }

        var key = SpanTracker.KeyOf(span);
        ulong parent = span.Parent is { } local ? SpanKey.Id(local.SpanId) : 0;
        this.spans.TryAdd(key.SpanId, new Life(key, parent, Stopwatch.GetTimestamp(), long.MaxValue));
    }

    public void OnEnd(Activity span)
    {
        ulong id = SpanKey.Id(span.SpanId);
        if (!this.SamplingActive)
        {
            this.spans.TryRemove(id);
        }
        else if (this.spans.TryGetValue(id, out var life))
        {
            // Not the indexer: a span forgotten meanwhile must not come back uncounted.
            this.spans.TryUpdate(id, life with { End = Stopwatch.GetTimestamp() }, life);
        }
    }

    /// <summary>
    /// Calls <paramref name="onAwaiting"/> for each span that was awaiting at <paramref name="timestamp"/>,
    /// given the spans current on threads then. Consumer thread only, with timestamps that only grow (rounds
    /// in order): a span that ended before <paramref name="timestamp"/> can be alive at no later call, so it is
    /// forgotten here. The table then holds the live spans and those ended since the round (samples reach the
    /// consumer 100-300 ms after they were taken), not every span of the last second: each call walks it all.
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
            if (life.End < timestamp)
            {
                this.spans.TryRemove(id);
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

    private readonly record struct Life(SpanKey Key, ulong ParentSpanId, long Start, long End);
}
