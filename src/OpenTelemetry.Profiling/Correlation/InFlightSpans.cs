using System.Collections.Concurrent;
using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The spans that have started and not yet ended (and those that ended less than a second ago, since samples
/// are processed after the fact), so the wall profile can show time a span spent awaiting: an <c>await</c>
/// holds no thread, so no thread sample ever sees it. At each sampling round, a span alive at that instant
/// that is not current on any thread, and none of whose children is running or awaiting, was awaiting.
/// Bounded: past <see cref="MaxTracked"/> spans, new ones are not tracked (and counted).
/// </summary>
internal sealed class InFlightSpans
{
    public const int MaxTracked = 100_000;

    private static readonly long KeepEnded = Stopwatch.Frequency;

    private readonly ConcurrentDictionary<Activity, Life> spans = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Activity> covered = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Activity> hasWaitingChild = new(ReferenceEqualityComparer.Instance);
    private readonly List<Activity> candidates = [];

    public long Untracked { get; private set; }

    public int Count => this.spans.Count;

    public void OnStart(Activity span)
    {
        if (this.spans.Count >= MaxTracked)
        {
            this.Untracked++;
            return;
        }

        this.spans[span] = new Life(Stopwatch.GetTimestamp(), long.MaxValue);
    }

    public void OnEnd(Activity span)
    {
        if (this.spans.TryGetValue(span, out var life))
        {
            this.spans[span] = life with { End = Stopwatch.GetTimestamp() };
        }
    }

    /// <summary>
    /// Calls <paramref name="onAwaiting"/> for each span that was awaiting at <paramref name="timestamp"/>,
    /// given the spans current on threads then. Consumer thread only. Also forgets spans ended long before.
    /// </summary>
    public void ForEachAwaiting(long timestamp, IEnumerable<object?> currentStates, Action<Activity> onAwaiting)
    {
        this.covered.Clear();
        this.hasWaitingChild.Clear();
        this.candidates.Clear();
        foreach (object? state in currentStates)
        {
            for (var span = state as Activity; span is not null && this.covered.Add(span); span = span.Parent)
            {
            }
        }

        foreach (var (span, life) in this.spans)
        {
            if (life.End < timestamp - KeepEnded)
            {
                this.spans.TryRemove(span, out _);
            }
            else if (life.Start <= timestamp && timestamp < life.End && !this.covered.Contains(span))
            {
                this.candidates.Add(span);
            }
        }

        foreach (var span in this.candidates)
        {
            for (var parent = span.Parent; parent is not null && this.hasWaitingChild.Add(parent); parent = parent.Parent)
            {
            }
        }

        foreach (var span in this.candidates)
        {
            if (!this.hasWaitingChild.Contains(span))
            {
                onAwaiting(span);
            }
        }
    }

    private readonly record struct Life(long Start, long End);
}
