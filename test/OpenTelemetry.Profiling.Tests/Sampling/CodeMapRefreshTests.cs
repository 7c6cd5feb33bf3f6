using System.Diagnostics;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class CodeMapRefreshTests
{
    private const ulong Address = 0x7f00_1234_5678;

    [TestMethod]
    public void ShouldRead_WaitsTheShortestIntervalAfterTheMapWasRead()
    {
        var refresh = new CodeMapRefresh(readTimestamp: 1000);

        Assert.IsFalse(refresh.ShouldRead(Address, 1000 + CodeMapRefresh.MinInterval - 1));
        Assert.IsTrue(refresh.ShouldRead(Address, 1000 + CodeMapRefresh.MinInterval));
    }

    [TestMethod]
    public void ShouldRead_NeverForValuesThatCannotBeUserSpaceCode()
    {
        var refresh = new CodeMapRefresh(readTimestamp: 0);
        long later = 100 * Stopwatch.Frequency;

        // A non-canonical value seen causing reads in a profiled showcase, a kernel address, a small number.
        Assert.IsFalse(refresh.ShouldRead(0x2000_c009_7aa0_b50, later));
        Assert.IsFalse(refresh.ShouldRead(0xffff_ffff_8100_0000, later), "kernel address");
        Assert.IsFalse(refresh.ShouldRead(0xfff0, later));
        Assert.IsTrue(refresh.ShouldRead(0x4000_0000_0000, later), "the GC's reserved range can hold code later");
    }

    [TestMethod]
    public void Read_ThatFindsNothing_DoublesTheWaitUpToTheLongest()
    {
        var refresh = new CodeMapRefresh(readTimestamp: 0);
        long now = 0;
        var waits = new List<long>();
        for (int read = 0; read < 10; read++)
        {
            // Asked at every drain (100 ms), as the sampler asks for a garbage address in every sample.
            while (!refresh.ShouldRead(Address, now))
            {
                now += Stopwatch.Frequency / 10;
            }

            refresh.Read(now, found: false);
            waits.Add(refresh.Interval);
        }

        Assert.AreEqual(2 * CodeMapRefresh.MinInterval, waits[0]);
        Assert.AreEqual(4 * CodeMapRefresh.MinInterval, waits[1]);
        Assert.AreEqual(CodeMapRefresh.MaxInterval, waits[^1]);
        Assert.IsTrue(waits.Zip(waits.Skip(1)).All(pair => pair.Second >= pair.First), "the wait never shrinks while reads find nothing");

        // Ten fruitless reads took about half a minute, not one second as at a fixed 10 a second.
        Assert.IsTrue(now > 25 * Stopwatch.Frequency, $"ten reads within {now / (double)Stopwatch.Frequency:F1} s");
    }

    [TestMethod]
    public void Read_ThatFindsCode_ResetsTheWait()
    {
        var refresh = new CodeMapRefresh(readTimestamp: 0);
        long now = 0;
        for (int read = 0; read < 8; read++)
        {
            now += refresh.Interval;
            refresh.Read(now, found: false);
        }

        Assert.AreEqual(CodeMapRefresh.MaxInterval, refresh.Interval);

        now += refresh.Interval;
        refresh.Read(now, found: true);

        Assert.AreEqual(CodeMapRefresh.MinInterval, refresh.Interval, "new code (a library loaded) is looked for at the shortest wait again");
        Assert.IsTrue(refresh.ShouldRead(Address, now + CodeMapRefresh.MinInterval));
    }
}
