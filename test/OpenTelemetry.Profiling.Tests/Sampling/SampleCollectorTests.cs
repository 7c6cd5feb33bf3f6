using System.Diagnostics;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class SampleCollectorTests
{
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
}
