using System.Diagnostics;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
public sealed class InFlightSpansTests
{
    [TestMethod]
    public void ForEachAwaiting_ReportsOnlyTheInnermostSpanThatIsOnNoThread()
    {
        var spans = new InFlightSpans();
        using var root = new Activity("root").Start();
        spans.OnStart(root);
        using var child = new Activity("child").Start();
        spans.OnStart(child);
        var awaiting = new List<SpanKey>();

        // Nothing is running: the child awaits, and its parent waits for it (not awaiting on its own).
        spans.ForEachAwaiting(Stopwatch.GetTimestamp(), [], awaiting.Add);
        CollectionAssert.AreEqual(new[] { SpanKey.From(child).SpanId }, awaiting.Select(a => a.SpanId).ToArray());

        // The child runs on a thread: nothing awaits.
        awaiting.Clear();
        spans.ForEachAwaiting(Stopwatch.GetTimestamp(), [SpanKey.From(child)], awaiting.Add);
        Assert.AreEqual(0, awaiting.Count);
    }

    [TestMethod]
    public void OnStart_WhenTheTableIsFull_TracksNoMoreAndCountsWhatItLeftOut()
    {
        var spans = new InFlightSpans();
        var started = new List<Activity>();
        int total = InFlightSpans.MaxTracked + 1_000;
        for (int i = 0; i < total; i++)
        {
            var span = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start();
            Activity.Current = null;
            spans.OnStart(span);
            started.Add(span);
        }

        // The bound holds, every span is either tracked or counted, and the table is full, not merely bounded
        // (each stripe takes its share of the bound: random ids fill the shares unevenly, by about a percent).
        Assert.IsTrue(spans.Count <= InFlightSpans.MaxTracked, $"{spans.Count} tracked");
        Assert.AreEqual(total, spans.Count + spans.Untracked);
        Assert.IsTrue(spans.Count > InFlightSpans.MaxTracked * 0.97, $"{spans.Count} tracked");

        // Spans that end (and are forgotten at the next round) make room again.
        started.ForEach(span => spans.OnEnd(span));
        spans.ForEachAwaiting(Stopwatch.GetTimestamp(), [], _ => { });
        Assert.AreEqual(0, spans.Count);
        long untracked = spans.Untracked;
        for (int i = 0; i < 1_000; i++)
        {
            using var later = new Activity("later").SetIdFormat(ActivityIdFormat.W3C).Start();
            Activity.Current = null;
            spans.OnStart(later);
        }

        Assert.AreEqual(1_000, spans.Count);
        Assert.AreEqual(untracked, spans.Untracked);
        started.ForEach(span => span.Dispose());
    }

    [TestMethod]
    public void OnEnd_OutsideSamplingWindows_ForgetsTheSpanAtOnce()
    {
        var spans = new InFlightSpans { SamplingActive = false };
        using var span = new Activity("x").Start();
        spans.OnStart(span);
        Assert.AreEqual(1, spans.Count);

        spans.OnEnd(span);

        Assert.AreEqual(0, spans.Count, "only live spans are kept while no window is open");
    }

    [TestMethod]
    public void OnEnd_InsideSamplingWindows_KeepsTheSpanForRoundsBeforeItsEndProcessedLate_ThenForgetsIt()
    {
        var spans = new InFlightSpans();
        using var span = new Activity("x").Start();
        Activity.Current = null;
        spans.OnStart(span);
        long whileAlive = Stopwatch.GetTimestamp();
        spans.OnEnd(span);
        var awaiting = new List<SpanKey>();

        // Samples reach the consumer after the fact: a round taken while the span was alive comes after its end.
        spans.ForEachAwaiting(whileAlive, [], awaiting.Add);
        Assert.AreEqual(1, awaiting.Count, "awaiting at a round before its end");
        Assert.AreEqual(1, spans.Count);

        // Rounds come in order, so once one is past the span's end, the span can be alive at none after it.
        awaiting.Clear();
        spans.ForEachAwaiting(Stopwatch.GetTimestamp(), [], awaiting.Add);
        Assert.AreEqual(0, awaiting.Count, "a span that has ended is not awaiting");
        Assert.AreEqual(0, spans.Count, "forgotten once a round is past its end");
    }
}
