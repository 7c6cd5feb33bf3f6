using OpenTelemetry.Profiling.Sampling;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class SamplingSchedulerTests
{
    [TestMethod]
    [DataRow(0.1, 1.0, 0.1)]
    [DataRow(0.1, 0.75, 0.1)]
    [DataRow(0.1, 0.5, 0.25)]
    [DataRow(0.1, 0.25, 0.4)]
    [DataRow(0.1, 0.0, 0.4)]
    [DataRow(0.5, 0.0, 1.0)]
    public void NextDutyCycle_WithAFixedDutyCycle_RaisesItOnlyWhenTheProcessLeavesCpuHeadroom(double configured, double cpuShare, double expected)
    {
        Assert.AreEqual(expected, SamplingScheduler.NextDutyCycle(configured, 0, samplesPerCpuSecond: 1000, cpuShare), 1e-9);
    }

    [TestMethod]
    [DataRow(1000.0, 0.06)] // many busy threads: 6 % of the time gives 60 samples per CPU-second
    [DataRow(3000.0, 0.02)] // oversubscribed: even shorter windows
    [DataRow(100_000.0, 0.01)] // never below the floor
    [DataRow(300.0, 0.1)] // few samples per CPU-second: the configured ceiling, not more
    [DataRow(double.NaN, 0.1)] // not measured yet: the configured value
    [DataRow(0.0, 0.1)]
    public void NextDutyCycle_WithATarget_TakesTheShareThatReachesItWithinTheFloorAndTheConfiguredCeiling(double samplesPerCpuSecond, double expected)
    {
        Assert.AreEqual(expected, SamplingScheduler.NextDutyCycle(0.1, 60, samplesPerCpuSecond, processCpuShare: 1), 1e-9);
    }

    [TestMethod]
    public void NextDutyCycle_WithATargetAndCpuHeadroom_RaisesTheTargetedShare()
    {
        // An idle half of the machine: the targeted 6 % is raised 2.5 times.
        Assert.AreEqual(0.15, SamplingScheduler.NextDutyCycle(0.1, 60, 1000, processCpuShare: 0.5), 1e-9);
    }

    [TestMethod]
    public void AnExportIntervalShorterThanTheCycle_IsAWarning_OnlyWhereIntervalsGoWithoutCpuOrAChosenWallWindow()
    {
        // Each case its own interval, so that other tests' profilers running meanwhile cannot be mistaken for it.
        using var listener = new ProfilingEventListener();
        bool Warned(int intervalMs, ProfilingOptions options)
        {
            options.ExportInterval = TimeSpan.FromMilliseconds(intervalMs);
            using (var profiler = new ContinuousProfiler(options, [], () => ResourceBuilder.CreateEmpty().Build()))
            {
                Assert.IsTrue(profiler.Start());
            }

            return listener.Messages.Any(m => m.StartsWith($"The export interval ({intervalMs} ms) is shorter than the sampling cycle", StringComparison.Ordinal));
        }

        Assert.IsTrue(Warned(3_217, new ProfilingOptions { CpuSampler = CpuSampler.Runtime }), "the runtime's sampler: intervals between windows have no CPU samples");
        Assert.IsFalse(Warned(3_229, new ProfilingOptions { CpuSampler = CpuSampler.Runtime, SamplingDutyCycle = 1 }), "continuous sampling has no cycle");
        using (var probe = new ContinuousProfiler(new ProfilingOptions { ExportInterval = TimeSpan.FromMinutes(10), WallTimeEnabled = false }, [], () => ResourceBuilder.CreateEmpty().Build()))
        {
            Assert.IsTrue(probe.Start());
            if (probe.NativeSampler is null)
            {
                return; // the native sampler's cases need it
            }
        }

        Assert.IsFalse(Warned(3_251, new ProfilingOptions()), "the native sampler by default: CPU in every interval, the wall windows on a cycle of whole intervals");
        Assert.IsFalse(Warned(3_259, new ProfilingOptions { SamplingDutyCycle = 0.1, WallTimeEnabled = false }), "the native sampler without a wall profile: no windows at all");
        Assert.IsTrue(Warned(3_271, new ProfilingOptions { SamplingDutyCycle = 0.1 }), "the native sampler with a duty cycle set: wall windows on that cycle, missing from some intervals");
    }

    [TestMethod]
    public void Windows_AreAnnouncedInSelfDiagnostics_WhenTheyOpenAndClose()
    {
        using var listener = new ProfilingEventListener();
        var options = new ProfilingOptions { ExportInterval = TimeSpan.FromMinutes(10), SamplingWindow = TimeSpan.FromMilliseconds(200), SamplingDutyCycle = 0.2 };
        using (var profiler = new ContinuousProfiler(options, [], () => ResourceBuilder.CreateEmpty().Build()))
        {
            Assert.IsTrue(profiler.Start());

            // Cycles of 1 s; a loaded machine may take longer to start and stop sessions.
            SpinWait.SpinUntil(() => Opened(listener).Count >= 3, TimeSpan.FromSeconds(20));
        }

        var opened = Opened(listener);
        var closed = listener.Messages.Where(m => m.StartsWith("Sampling window closed after ", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(opened.Count >= 2, "opened: " + string.Join(" | ", opened));
        Assert.IsTrue(closed.Count >= opened.Count - 1, "every window but the last closes in a cycle: " + string.Join(" | ", closed));
    }

    [TestMethod]
    public void WallOnlyWindows_TheFirstWindowClosesAfterItsPlannedLength_NotAfterTheDelayThatPlacesTheNextOnes()
    {
        using var listener = new ProfilingEventListener();

        // Defaults: CPU samples from the native sampler where it runs, so the runtime's sampler serves the wall
        // profile alone, in 100 ms windows, the cycles delayed half an export interval (here 5 minutes).
        using (var profiler = new ContinuousProfiler(new ProfilingOptions { ExportInterval = TimeSpan.FromMinutes(10) }, [], () => ResourceBuilder.CreateEmpty().Build()))
        {
            Assert.IsTrue(profiler.Start());
            if (!listener.Messages.Any(m => m.StartsWith("Sampling window opened for about 100 ms", StringComparison.Ordinal)))
            {
                Assert.Inconclusive("The native CPU sampler is not available here, so windows are not wall-only: " + string.Join(" | ", listener.Messages));
            }

            SpinWait.SpinUntil(() => Closed(listener).Count >= 1, TimeSpan.FromSeconds(30));
        }

        var closed = Closed(listener);
        Assert.IsNotEmpty(closed, string.Join(" | ", listener.Messages));
        int closedAfterMs = int.Parse(closed[0].Split(' ')[4], System.Globalization.CultureInfo.InvariantCulture);

        // Until it has stopped a window samples every thread every millisecond; the next one opens 5 minutes later.
        // A window kept open until then would close only when the profiler is disposed, after the 30 s wait;
        // 10 s leaves a loaded machine room to start and stop the session (the rundown runs at the same time).
        Assert.IsLessThan(10_000, closedAfterMs, closed[0]);
    }

    [TestMethod]
    public void Start_WhenTheExportIntervalIsShorterThanTheCycle_WarnsThatSomeProfilesHaveNoSamples()
    {
        using var listener = new ProfilingEventListener();
        var tooShort = new ProfilingOptions { ExportInterval = TimeSpan.FromSeconds(2), SamplingWindow = TimeSpan.FromMilliseconds(500), SamplingDutyCycle = 0.1 };
        var enough = new ProfilingOptions { ExportInterval = TimeSpan.FromSeconds(5), SamplingWindow = TimeSpan.FromMilliseconds(500), SamplingDutyCycle = 0.1 };
        var continuous = new ProfilingOptions { ExportInterval = TimeSpan.FromSeconds(2), SamplingDutyCycle = 1 };
        foreach (var options in new[] { tooShort, enough, continuous })
        {
            using var profiler = new ContinuousProfiler(options, [], () => ResourceBuilder.CreateEmpty().Build());
            Assert.IsTrue(profiler.Start());
        }

        var warnings = listener.Messages.Where(m => m.StartsWith("The export interval (", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, warnings, string.Join(" | ", warnings));
        StringAssert.Contains(warnings[0], "(2000 ms) is shorter than the sampling cycle (5000 ms)");
    }

    private static List<string> Closed(ProfilingEventListener listener) =>
        [.. listener.Messages.Where(m => m.StartsWith("Sampling window closed after ", StringComparison.Ordinal))];

    private static List<string> Opened(ProfilingEventListener listener) =>
        [.. listener.Messages.Where(m => m.StartsWith("Sampling window opened for about ", StringComparison.Ordinal))];
}
