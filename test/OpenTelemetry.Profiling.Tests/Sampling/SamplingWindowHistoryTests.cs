using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class SamplingWindowHistoryTests
{
    private static readonly DateTime T0 = new(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);

    [TestMethod]
    public void Overlaps_TellsSpansThatLivedDuringAKeptWindowFromThoseThatDidNot()
    {
        // Windows of 0.5 s every 10 s, more than the history keeps: the oldest are forgotten.
        var history = new SamplingWindowHistory(capacity: 4);
        for (int i = 0; i < 6; i++)
        {
            history.Add(At(i * 10), At((i * 10) + 0.5));
        }

        Assert.IsTrue(history.Overlaps(At(50.2), At(50.3)), "inside the newest window");
        Assert.IsTrue(history.Overlaps(At(29), At(30.1)), "ending inside an older window");
        Assert.IsTrue(history.Overlaps(At(40.4), At(49)), "starting inside one");
        Assert.IsTrue(history.Overlaps(At(19), At(45)), "spanning several");
        Assert.IsFalse(history.Overlaps(At(50.6), At(59)), "after the newest");
        Assert.IsFalse(history.Overlaps(At(30.6), At(39.9)), "between two windows");
        Assert.IsFalse(history.Overlaps(At(10.1), At(10.2)), "inside a window no longer kept");
    }

    [TestMethod]
    public void AWindowStillClosing_HasNoEndUntilItsSessionStopped()
    {
        var history = new SamplingWindowHistory(capacity: 4);
        history.Add(At(0), DateTime.MaxValue);

        Assert.IsTrue(history.Overlaps(At(0.8), At(0.9)), "the runtime samples until the session has stopped");

        history.EndLast(At(0.7));
        Assert.IsFalse(history.Overlaps(At(0.8), At(0.9)));
        Assert.IsTrue(history.Overlaps(At(0.6), At(0.9)));
    }

    [TestMethod]
    public void Empty_OverlapsNothing() => Assert.IsFalse(new SamplingWindowHistory(4).Overlaps(At(0), At(100)));

    private static DateTime At(double seconds) => T0.AddSeconds(seconds);
}
