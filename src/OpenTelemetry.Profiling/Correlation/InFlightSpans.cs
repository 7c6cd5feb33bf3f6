using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The spans that have started and not yet ended (and, inside sampling windows, those that ended after the
/// last round looked at, since samples are processed after the fact), so the wall profile can show time a
/// span spent awaiting: an <c>await</c> holds no thread, so no thread sample ever sees it. At a sampling
/// round, a span alive at that instant that is not current on any thread, and none of whose children is
/// running or awaiting, was awaiting.
/// Spans are kept as values keyed by span id (no activity is kept alive). Bounded: at most
/// <see cref="MaxTracked"/> spans are tracked (each stripe below holds its share of that), and spans left out
/// are counted.
/// <para>
/// Every span start and end on the app's threads passes through here, so the table allocates nothing per
/// span: values sit in the entries of plain dictionaries, which reuse the entries of removed spans, each
/// dictionary behind a lock of its own, chosen by the span id (random bits). A concurrent dictionary
/// allocated a node per span and another per end inside windows.
/// </para>
/// </summary>
internal sealed class InFlightSpans
{
    public const int MaxTracked = 100_000;

    // More stripes than cores, so two threads rarely want the same lock at once.
    private const int StripeCount = 16;
    private const int MaxPerStripe = MaxTracked / StripeCount;

    private readonly Stripe[] stripes = [.. Enumerable.Range(0, StripeCount).Select(_ => new Stripe())];
    private readonly HashSet<ulong> covered = [];
    private readonly HashSet<ulong> hasWaitingChild = [];
    private readonly List<Life> candidates = [];
    private long untracked;

    public int Count
    {
        get
        {
            int count = 0;
            foreach (var stripe in this.stripes)
            {
                lock (stripe.Gate)
                {
                    count += stripe.Spans.Count;
                }
            }

            return count;
        }
    }

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
        var key = SpanTracker.KeyOf(span);
        ulong parent = span.Parent is { } local ? SpanKey.Id(local.SpanId) : 0;
        // Outside windows no round looks at spans, and a span that started then started before the next window's
        // rounds: 0 says so without reading the clock (about 60 ns here, twice per request).
        var life = new Life(key, parent, this.SamplingActive ? Stopwatch.GetTimestamp() : 0, long.MaxValue);
        var stripe = this.StripeOf(key.SpanId);
        lock (stripe.Gate)
        {
            // Each stripe holds its share of the bound; span ids are random, so the shares fill evenly.
            if (stripe.Spans.Count < MaxPerStripe)
            {
                stripe.Spans.TryAdd(key.SpanId, life);
                return;
            }
        }

        Interlocked.Increment(ref this.untracked);
    }

    public void OnEnd(Activity span)
    {
        ulong id = SpanKey.Id(span.SpanId);
        var stripe = this.StripeOf(id);
        lock (stripe.Gate)
        {
            if (!this.SamplingActive)
            {
                stripe.Spans.Remove(id);
                return;
            }

            // In place; a span not tracked (or forgotten meanwhile) stays out.
            ref var life = ref CollectionsMarshal.GetValueRefOrNullRef(stripe.Spans, id);
            if (!Unsafe.IsNullRef(ref life))
            {
                life = life with { End = Stopwatch.GetTimestamp() };
            }
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
            for (ulong id = state.SpanId; id != 0 && this.covered.Add(id); id = this.TryGet(id, out var life) ? life.ParentSpanId : 0)
            {
            }
        }

        foreach (var stripe in this.stripes)
        {
            lock (stripe.Gate)
            {
                // Removing the entry just enumerated is allowed while enumerating a dictionary.
                foreach (var (id, life) in stripe.Spans)
                {
                    if (life.End < timestamp)
                    {
                        stripe.Spans.Remove(id);
                    }
                    else if (life.Start <= timestamp && timestamp < life.End && !this.covered.Contains(id))
                    {
                        this.candidates.Add(life);
                    }
                }
            }
        }

        foreach (var life in this.candidates)
        {
            for (ulong parent = life.ParentSpanId; parent != 0 && this.hasWaitingChild.Add(parent); parent = this.TryGet(parent, out var p) ? p.ParentSpanId : 0)
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

    private bool TryGet(ulong id, out Life life)
    {
        var stripe = this.StripeOf(id);
        lock (stripe.Gate)
        {
            return stripe.Spans.TryGetValue(id, out life);
        }
    }

    private Stripe StripeOf(ulong spanId) => this.stripes[(int)(spanId ^ (spanId >> 32)) & (StripeCount - 1)];

    private readonly record struct Life(SpanKey Key, ulong ParentSpanId, long Start, long End);

    private sealed class Stripe
    {
        public Lock Gate { get; } = new();

        public Dictionary<ulong, Life> Spans { get; } = [];
    }
}
