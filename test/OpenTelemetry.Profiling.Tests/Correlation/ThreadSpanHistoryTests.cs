using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
public sealed class ThreadSpanHistoryTests
{
    private static readonly SpanKey SpanA = new(1, 2, 3, 3, 0);
    private static readonly SpanKey SpanB = new(1, 2, 4, 3, 0);

    [TestMethod]
    public void TryGetStateAt_ReturnsTheStateCurrentAtThatTime()
    {
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        history.Record(100, SpanA);
        history.Record(200, default);
        history.Record(300, SpanB);

        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(150, out SpanKey at150));
        Assert.AreEqual(SpanA, at150);
        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(250, out SpanKey at250));
        Assert.IsTrue(at250.IsNone, "after the span ended the sample is not linked to it");
        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(300, out SpanKey at300));
        Assert.AreEqual(SpanB, at300);
    }

    [TestMethod]
    public void TryGetStateAt_BeforeTheFirstSwitch_IsNoSpan()
    {
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        history.Record(100, SpanA);

        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(50, out SpanKey state));
        Assert.IsTrue(state.IsNone);
    }

    [TestMethod]
    public void TryGetStateAt_WhenTheHistoryWasOverwritten_ReportsLostInsteadOfAWrongSpan()
    {
        // Switches further apart than the horizon: the ring does not grow, it wraps.
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        history.Record(10, SpanA);
        for (int i = 1; i <= ThreadSpanHistory.InitialCapacity; i++)
        {
            history.Record(10 + (i * ThreadSpanHistory.Horizon), SpanB);
        }

        Assert.AreEqual(ThreadSpanHistory.InitialCapacity, history.Capacity);
        Assert.AreEqual(SpanLookupResult.Lost, history.TryGetStateAt(50, out SpanKey state));
        Assert.IsTrue(state.IsNone);
    }

    [TestMethod]
    public void Record_WhenAThreadSwitchesFasterThanTheRingCovers_GrowsSoRecentHistoryStaysAvailable()
    {
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        int switches = ThreadSpanHistory.InitialCapacity * 10;
        for (int i = 0; i < switches; i++)
        {
            history.Record(1000 + i, (i % 2 == 0) ? SpanA : SpanB);
        }

        Assert.IsTrue(history.Capacity >= switches, $"capacity {history.Capacity}");
        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(1000, out SpanKey first));
        Assert.AreEqual(SpanA, first);
        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(1001, out SpanKey second));
        Assert.AreEqual(SpanB, second);
    }

    [TestMethod]
    public void Record_NeverGrowsPastTheMaximum()
    {
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        for (int i = 0; i < ThreadSpanHistory.MaxCapacity * 2; i++)
        {
            history.Record(i, SpanA);
        }

        Assert.AreEqual(ThreadSpanHistory.MaxCapacity, history.Capacity);
        Assert.AreEqual(SpanLookupResult.Lost, history.TryGetStateAt(5, out _));
    }

    [TestMethod]
    public void TryGetStateAt_WhileTheOwnerKeepsWritingAndGrowing_NeverReturnsAStateRecordedLater()
    {
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        var states = Enumerable.Range(0, 1024).Select(i => new SpanKey(1, 1, (ulong)i + 1, 1, 0)).ToArray();
        long written = 0;
        var writer = new Thread(() =>
        {
            for (int i = 1; i <= 300_000; i++)
            {
                history.Record(i, states[i % states.Length]);
                Volatile.Write(ref written, i);
            }
        });
        writer.Start();
        int checkedLookups = 0;
        while (writer.IsAlive || checkedLookups == 0)
        {
            long upTo = Volatile.Read(ref written);
            if (upTo < 2)
            {
                continue;
            }

            long at = upTo - 1;
            if (history.TryGetStateAt(at, out SpanKey state) == SpanLookupResult.Found)
            {
                Assert.AreEqual(states[at % states.Length], state, $"lookup at {at}");
                checkedLookups++;
            }
        }

        writer.Join();
        Assert.IsTrue(checkedLookups > 0);
    }
}
