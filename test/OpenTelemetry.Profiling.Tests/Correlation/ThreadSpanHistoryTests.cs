using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
public sealed class ThreadSpanHistoryTests
{
    private static readonly object SpanA = new();
    private static readonly object SpanB = new();

    [TestMethod]
    public void TryGetStateAt_ReturnsTheStateCurrentAtThatTime()
    {
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        history.Record(100, SpanA);
        history.Record(200, null);
        history.Record(300, SpanB);

        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(150, out object? at150));
        Assert.AreSame(SpanA, at150);
        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(250, out object? at250));
        Assert.IsNull(at250, "after the span ended the sample is not linked to it");
        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(300, out object? at300));
        Assert.AreSame(SpanB, at300);
    }

    [TestMethod]
    public void TryGetStateAt_BeforeTheFirstSwitch_IsNoSpan()
    {
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        history.Record(100, SpanA);

        Assert.AreEqual(SpanLookupResult.Found, history.TryGetStateAt(50, out object? state));
        Assert.IsNull(state);
    }

    [TestMethod]
    public void TryGetStateAt_WhenTheHistoryWasOverwritten_ReportsLostInsteadOfAWrongSpan()
    {
        var history = new ThreadSpanHistory(1, Thread.CurrentThread);
        history.Record(10, SpanA);
        for (int i = 0; i < ThreadSpanHistory.Capacity; i++)
        {
            history.Record(100 + i, SpanB);
        }

        Assert.AreEqual(SpanLookupResult.Lost, history.TryGetStateAt(50, out object? state));
        Assert.IsNull(state);
    }
}
