using System.Diagnostics;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class SampleCollectorTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void AwaitingSpans_LookedForEveryTenMilliseconds_StillGetAWallSampleForNearlyEveryRound()
    {
        var inFlight = new InFlightSpans();
        var collector = new SampleCollector([ProfileType.Cpu, ProfileType.Wall], 1_000, inFlight);
        using var span = new Activity("awaiting").SetIdFormat(ActivityIdFormat.W3C).Start();
        Activity.Current = null;
        inFlight.OnStart(span);
        long start = Stopwatch.GetTimestamp();
        long millisecond = Stopwatch.Frequency / 1000;

        // Two sampling windows, 1 s apart, of 200 rounds 1 ms apart; the sampled thread shows no stack.
        const int RoundsPerWindow = 200;
        for (int window = 0; window < 2; window++)
        {
            for (int round = 0; round < RoundsPerWindow; round++)
            {
                collector.OnThreadSample(threadId: 424242, start + (((window * 1000) + round) * millisecond), [], managed: false);
            }
        }

        var samples = collector.Swap();
        var wall = samples.Aggregators[samples.Types.ToList().IndexOf(ProfileType.Wall)]!;
        long awaiting = wall.Values.Values.Sum();

        Assert.AreEqual(2 * RoundsPerWindow, samples.Rounds);
        // Each look counts the rounds since the last one; only the rounds after a window's last look (under
        // 10 ms of them) go uncounted.
        Assert.IsLessThanOrEqualTo(2L * RoundsPerWindow, awaiting);
        Assert.IsGreaterThanOrEqualTo((2L * RoundsPerWindow) - (2 * 10), awaiting);
    }

    [TestMethod]
    public void RoundsDeliveredLate_EachIntervalCoversTheTimeBetweenItsLastRoundAndThePreviousIntervals()
    {
        // Rounds reach the collector late (more so at start-up), so an interval can receive rounds that
        // happened before it began: the time its rounds stand for runs from the previous interval's last round,
        // not from when the interval began.
        var collector = new SampleCollector([ProfileType.Cpu, ProfileType.Wall], 1_000);
        long start = Stopwatch.GetTimestamp();
        long millisecond = Stopwatch.Frequency / 1000;
        void Rounds(int from, int to, int spacingMs)
        {
            for (int t = from; t < to; t += spacingMs)
            {
                collector.OnThreadSample(threadId: 424242, start + (t * millisecond), [], managed: false);
            }
        }

        collector.SamplingStarting(start - (50 * millisecond));
        var beforeAnyRound = collector.Swap(); // the first rounds arrive after the first interval has ended
        Rounds(0, 100, 1);
        var first = collector.Swap();
        Rounds(100, 400, 3); // the first interval's late rounds, then slower ones
        var second = collector.Swap();
        var empty = collector.Swap();
        Rounds(5_000, 5_100, 1);
        var afterEmpty = collector.Swap();

        Assert.AreEqual(0, beforeAnyRound.Rounds);
        Assert.AreEqual(149e6, first.RoundsCoveredNanos, 1e5, "the first rounds cover the time since sampling started (50 ms before the first, 99 ms to the last)");
        Assert.AreEqual(100, second.Rounds);
        Assert.AreEqual(298e6, second.RoundsCoveredNanos, 1e5, "from the first interval's last round (99 ms) to this one's last (397 ms)");
        Assert.AreEqual(0, empty.Rounds);
        Assert.AreEqual(4702e6, afterEmpty.RoundsCoveredNanos, 1e5, "after an interval without rounds: from the last round before it (397 ms) to this one's last (5,099 ms)");
        Assert.AreEqual(start + (397 * millisecond), afterEmpty.RoundsCoveredFrom);
    }
    [TestMethod]
    public void ContinuousSampling_TheFirstRoundsDoNotStandForTheSamplersStartUp()
    {
        // Sampling that never pauses has no off time for its first rounds to stand for: the 600 ms the sampler
        // took to start must not inflate the first interval's period (1.6 ms a round instead of 1 ms).
        var collector = new SampleCollector([ProfileType.Cpu, ProfileType.Wall], 1_000);
        long start = Stopwatch.GetTimestamp();
        long millisecond = Stopwatch.Frequency / 1000;
        void Rounds(int from, int to)
        {
            for (int t = from; t < to; t++)
            {
                collector.OnThreadSample(threadId: 424242, start + (t * millisecond), [], managed: false);
            }
        }

        collector.SamplingStarting(start - (600 * millisecond), continuous: true);
        Rounds(0, 1_000);
        var first = collector.Swap();
        Rounds(1_000, 1_500);
        var second = collector.Swap();

        Assert.AreEqual(1_000, first.Rounds);
        Assert.AreEqual(1_000e6, first.RoundsCoveredNanos, 1e5, "one mean gap before the first round to the last (999 ms)");
        Assert.AreEqual(500e6, second.RoundsCoveredNanos, 1e5, "then from the previous interval's last round, as with windows");

        var single = new SampleCollector([ProfileType.Wall], 1_000);
        single.SamplingStarting(start - (600 * millisecond), continuous: true);
        single.OnThreadSample(threadId: 424242, start, [], managed: false);
        Assert.AreEqual(0, single.Swap().RoundsCoveredNanos, "one round: no gap known, the interval's duration stands in");
    }
    [TestMethod]
    public void ARoundIsEveryThreadOnce_HoweverLongItsSamplesTake()
    {
        // Walking a thread, or the sampler losing its core on a busy machine, can put milliseconds between two
        // samples of one round: still one round, so the period (and every wall estimate) is not halved.
        var collector = new SampleCollector([ProfileType.Wall], 1_000);
        long start = Stopwatch.GetTimestamp();
        long millisecond = Stopwatch.Frequency / 1000;
        collector.SamplingStarting(start - (10 * millisecond), continuous: true);
        for (int round = 0; round < 100; round++)
        {
            long at = start + (round * 10 * millisecond);
            collector.OnThreadSample(threadId: 1, at, [], managed: false);
            collector.OnThreadSample(threadId: 2, at + (round % 2 == 0 ? 3 * millisecond : millisecond / 10), [], managed: false);
            collector.OnThreadSample(threadId: 3, at + (4 * millisecond), [], managed: false);
        }

        var interval = collector.Swap();
        Assert.AreEqual(100, interval.Rounds);
        Assert.AreEqual(10e6, interval.RoundIntervalNanos, 1e3, "rounds 10 ms apart");
        Assert.AreEqual(1_000e6, interval.RoundsCoveredNanos, 1e5);

        // Threads 2 and 3 ended, thread 4 started: the rounds go on.
        collector.OnThreadSample(threadId: 1, start + (1_000 * millisecond), [], managed: false);
        collector.OnThreadSample(threadId: 4, start + (1_001 * millisecond), [], managed: false);
        collector.OnThreadSample(threadId: 1, start + (1_010 * millisecond), [], managed: false);
        collector.OnThreadSample(threadId: 4, start + (1_011 * millisecond), [], managed: false);
        Assert.AreEqual(2, collector.Swap().Rounds);
    }

    [TestMethod]
    [DataRow(true, DisplayName = "the round's last thread arrives")]
    [DataRow(false, DisplayName = "the round's last thread ended: the next round starts")]
    public async Task AnIntervalEndsBetweenRounds_NotInsideOne(bool lastThreadArrives)
    {
        // With windows sparser than intervals, the interval that gets a window's first round stands for all the
        // time since the previous window. The runtime can flush a round's first samples 100 ms before its others:
        // an interval ended in between counted a round without the threads still to come, which then showed
        // no wall time for the whole gap.
        var collector = new SampleCollector([ProfileType.Wall], 1_000);
        long start = Stopwatch.GetTimestamp();
        long millisecond = Stopwatch.Frequency / 1000;
        void Sample(int threadId, int atMs) => collector.OnThreadSample(threadId, start + (atMs * millisecond), [0x1000], managed: false);
        collector.SamplingStarting(start);
        for (int round = 0; round < 100; round++)
        {
            Sample(1, round);
            Sample(2, round);
            Sample(3, round);
        }

        Assert.AreEqual(100, collector.Swap().Rounds, "a swap after a whole round ends the interval at once");

        // The next window, 2 s later: the first two samples of its first round arrive, then the swap.
        Sample(1, 2_000);
        Sample(2, 2_000);
        var swap = Task.Run(collector.Swap, this.TestContext.CancellationToken);
        Assert.IsTrue(SpinWait.SpinUntil(() => collector.SwapWaitsForRound || swap.IsCompleted, TimeSpan.FromSeconds(30)));
        if (lastThreadArrives)
        {
            Sample(3, 2_000);
        }

        Sample(1, 2_001);
        Sample(2, 2_001);
        var gap = await swap;
        var wall = gap.Aggregators[0]!;

        Assert.AreEqual(1, gap.Rounds);
        Assert.AreEqual(1_901e6, gap.RoundsCoveredNanos, 1e5, "from the previous window's last round (99 ms) to this one (2,000 ms)");
        CollectionAssert.AreEquivalent(
            lastThreadArrives ? new[] { 1, 2, 3 } : [1, 2],
            wall.Values.Keys.Select(k => k.ThreadId).ToArray(),
            "one sample of each thread of the round, none of the next");
        Assert.AreEqual(1, collector.Swap().Rounds, "the next round is the next interval's");
    }

    [TestMethod]
    public void AProfilerThreadsId_IsLeftOutWhileItRuns_AndProfiledOnceItEnded()
    {
        // The OS gives an ended thread's id to a new thread once its ids wrap around (32,768 by default): an
        // app thread that gets the id of an ended sampling window's reader must not vanish from the profiles.
        var collector = new SampleCollector([ProfileType.Wall], 1_000);
        const int ReusedId = 424_243;
        using var excluded = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            collector.ExcludeThread(ReusedId);
            excluded.Set();
            release.Wait();
        });
        reader.Start();
        Assert.IsTrue(excluded.Wait(TimeSpan.FromSeconds(30)));
        long millisecond = Stopwatch.Frequency / 1000;
        long start = Stopwatch.GetTimestamp();

        collector.OnThreadSample(ReusedId, start, [0x1000], managed: false);
        bool ownWhileRunning = collector.IsOwnThread(ReusedId);
        long whileRunning = collector.Swap().Aggregators[0]!.SampleCount;
        release.Set();
        reader.Join();
        collector.OnThreadSample(ReusedId, start + millisecond, [0x1000], managed: false);
        long afterItEnded = collector.Swap().Aggregators[0]!.SampleCount;

        Assert.IsTrue(ownWhileRunning);
        Assert.AreEqual(0, whileRunning, "the profiler's own thread is left out");
        Assert.IsFalse(collector.IsOwnThread(ReusedId), "the native sampler arms a timer for the thread now holding the id");
        Assert.AreEqual(1, afterItEnded, "the thread now holding the id is profiled");

        var next = new Thread(() => collector.ExcludeThread(ReusedId + 1));
        next.Start();
        next.Join();
        Assert.AreEqual(1, collector.OwnThreadCount, "ended threads are let go when the next one starts: one per window would pile up");
    }
}
