using System.Diagnostics;
using System.Runtime.CompilerServices;
using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>
/// Ground truth for the profile types beyond CPU: a known method allocates a known number of bytes, waits a
/// known number of times on a contended lock, throws a known number of exceptions, or sleeps a known time,
/// inside a span; each must show up in its profile, within a stated tolerance, linked to that span.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class BeyondCpuProfilesTests
{
    private const string SourceName = "BeyondCpuProfilesTests";
    private static readonly ActivitySource Source = new(SourceName);
    private static ActivityListener? listener;

    [ClassInitialize]
    public static void StartListening(TestContext context)
    {
        listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
    }

    [ClassCleanup]
    public static void StopListening() => listener?.Dispose();

    [TestMethod]
    public async Task Allocations_EstimateTheKnownBytesOfTheAllocatingMethodWithinTenPercent_LinkedToItsSpan()
    {
        const long TotalBytes = 256L * 1024 * 1024;
        var batch = await Profile(new ProfilingOptions { AllocationsEnabled = true }, () =>
        {
            using var span = Source.StartActivity("allocate")!;
            AllocateKnownBytes(TotalBytes);
            return span.SpanId.ToHexString();
        });

        var (bytes, spanIds, labels) = Sum(batch.Batch, "alloc_space", "AllocateKnownBytes", "allocation.type");
        var (objects, _, _) = Sum(batch.Batch, "alloc_objects", "AllocateKnownBytes", "allocation.type");
        Console.WriteLine($"estimated {bytes:N0} bytes, {objects:N0} objects of {TotalBytes:N0} bytes / {TotalBytes / 8024:N0} arrays; types {string.Join(",", labels)}");

        Assert.AreEqual(TotalBytes, bytes, TotalBytes * 0.10, "estimated bytes within 10% of what was allocated");
        Assert.AreEqual(TotalBytes / 8024.0, objects, TotalBytes / 8024.0 * 0.15, "estimated objects within 15%");
        CollectionAssert.AreEquivalent(new[] { batch.SpanId }, spanIds.ToArray(), "linked to the allocating span");
        CollectionAssert.AreEquivalent(new[] { "System.Byte[]" }, labels.ToArray(), "the allocated type as attribute");
    }

    [TestMethod]
    public async Task Exceptions_CountEveryThrowByTypeAndStack_LinkedToItsSpan()
    {
        const int Throws = 300;
        var batch = await Profile(new ProfilingOptions(), () =>
        {
            using var span = Source.StartActivity("throw")!;
            for (int i = 0; i < Throws; i++)
            {
                ThrowAndCatch();
            }

            return span.SpanId.ToHexString();
        });

        var (count, spanIds, labels) = Sum(batch.Batch, "exceptions", "ThrowAndCatch", "exception.type");

        Assert.AreEqual(Throws, count, "every thrown exception counted");
        CollectionAssert.AreEquivalent(new[] { batch.SpanId }, spanIds.ToArray());
        CollectionAssert.AreEquivalent(new[] { typeof(KnownProfilingTestException).FullName }, labels.ToArray(), "types: " + string.Join(",", labels));
        Assert.IsFalse(batch.Batch.Dictionary.Strings.Any(s => s.Contains("secret message", StringComparison.Ordinal)), "messages are not exported");
    }

    [TestMethod]
    public async Task LockContention_CountsEachContendedWaitAndItsDelayWithinTwentyPercent_LinkedToTheWaitingSpan()
    {
        const int Waits = 10;
        var waited = TimeSpan.Zero;
        var batch = await Profile(new ProfilingOptions { LockContentionEnabled = true }, () =>
        {
            using var span = Source.StartActivity("wait-for-lock")!;
            waited = ContendedWaits(Waits, TimeSpan.FromMilliseconds(40));
            return span.SpanId.ToHexString();
        });

        var (count, spanIds, _) = Sum(batch.Batch, "contentions", "ContendedWaits", null);
        var (delayNs, _, _) = Sum(batch.Batch, "delay", "ContendedWaits", null);
        Console.WriteLine($"contentions {count}, delay {delayNs / 1e6:F1} ms, measured wait {waited.TotalMilliseconds:F1} ms");

        Assert.AreEqual(Waits, count, "one contention per contended wait");
        Assert.AreEqual(waited.TotalNanoseconds, delayNs, waited.TotalNanoseconds * 0.20, "delay within 20% of the measured wait");
        CollectionAssert.AreEquivalent(new[] { batch.SpanId }, spanIds.ToArray());
    }

    [TestMethod]
    public async Task LockContention_ByDefault_HasNoProfileOfItsOwn_WhileWallTimeStillShowsTheWaits()
    {
        // Contention events cost every contended lock tens of microseconds, so they are opt-in; the waits are
        // still in the wall-time profile, on the waiting stack and span.
        var batch = await Profile(new ProfilingOptions { SamplingDutyCycle = 1 }, () =>
        {
            using var span = Source.StartActivity("wait-for-lock")!;
            ContendedWaits(10, TimeSpan.FromMilliseconds(40));
            return span.SpanId.ToHexString();
        });

        var d = batch.Batch.Dictionary;
        var sampleTypes = batch.Batch.Profiles.Select(p => d.Strings[p.SampleType.TypeStrIndex]).ToList();
        CollectionAssert.DoesNotContain(sampleTypes, "contentions", "types: " + string.Join(",", sampleTypes));
        CollectionAssert.DoesNotContain(sampleTypes, "delay");
        var (wallSamples, spanIds, _) = Sum(batch.Batch, "wall", "ContendedWaits", null);
        Assert.IsGreaterThan(0L, wallSamples, "the waits show in wall time");
        CollectionAssert.Contains(spanIds.ToArray(), batch.SpanId);
    }

    [TestMethod]
    public async Task WallTime_ShowsTheKnownSleepOfARequestWithinTwentyFivePercent_LinkedToItsSpan()
    {
        var sleep = TimeSpan.FromMilliseconds(800);
        var batch = await Profile(new ProfilingOptions { SamplingDutyCycle = 1 }, () =>
        {
            using var span = Source.StartActivity("sleepy-request")!;
            SleepKnownTime(sleep);
            return span.SpanId.ToHexString();
        });

        var wall = batch.Batch.Profiles.Single(p => batch.Batch.Dictionary.Strings[p.PeriodType.TypeStrIndex] == "wall");
        var (count, spanIds, _) = Sum(batch.Batch, "wall", "SleepKnownTime", null);
        var (cpuCount, _, _) = Sum(batch.Batch, "cpu", "SleepKnownTime", null);
        double wallMs = count * wall.Period / 1e6;
        Console.WriteLine($"wall samples {count} x {wall.Period / 1e6:F2} ms = {wallMs:F0} ms (slept {sleep.TotalMilliseconds} ms); cpu samples {cpuCount}");

        Assert.AreEqual(sleep.TotalMilliseconds, wallMs, sleep.TotalMilliseconds * 0.25, "wall time of the sleep within 25%");
        Assert.IsTrue(cpuCount <= count / 10, "a sleeping thread is not CPU");
        CollectionAssert.AreEquivalent(new[] { batch.SpanId }, spanIds.ToArray());
    }

    [TestMethod]
    public async Task WallTime_WithWindowsSparserThanIntervals_EachProfileCoversTheTimeSinceThePreviousWindow()
    {
        // Windows of 200 ms every 2 s, intervals of about 0.5 s: most intervals have no round, and the rounds of
        // one window stand for the 2 s since the previous window, which their profile must say.
        var options = new ProfilingOptions { CpuSampler = CpuSampler.Runtime, SamplingWindow = TimeSpan.FromMilliseconds(200), SamplingDutyCycle = 0.1, ExportInterval = TimeSpan.FromMinutes(10) };
        using var profiler = new ContinuousProfiler(options, [], () => ResourceBuilder.CreateEmpty().Build());
        using var stop = new CancellationTokenSource();
        var sleeper = new Thread(() =>
        {
            using var span = Source.StartActivity("sleeper");
            while (!stop.IsCancellationRequested)
            {
                SleepKnownTime(TimeSpan.FromMilliseconds(20));
            }
        });
        sleeper.Start();
        Assert.IsTrue(profiler.Start());
        await Task.Delay(2_500); // past the first window, measured while the sessions start
        profiler.CollectInterval();

        var covered = new List<(double ProfileSeconds, double IntervalSeconds, double SleeperSeconds)>();
        var last = DateTimeOffset.UtcNow;
        for (int i = 0; i < 16; i++)
        {
            await Task.Delay(500);
            var batch = profiler.CollectInterval();
            var now = DateTimeOffset.UtcNow;
            var wall = batch.Profiles.SingleOrDefault(p => batch.Dictionary.Strings[p.PeriodType.TypeStrIndex] == "wall");
            if (wall is not null)
            {
                var (count, _, _) = Sum(batch, "wall", "SleepKnownTime", null);
                covered.Add((wall.DurationNano / 1e9, (now - last).TotalSeconds, count * wall.Period / 1e9));
            }

            last = now;
        }

        stop.Cancel();
        sleeper.Join();
        string seen = string.Join(" | ", covered.Select(c => $"profile {c.ProfileSeconds:F2} s, interval {c.IntervalSeconds:F2} s, sleeper {c.SleeperSeconds:F2} s"));
        Console.WriteLine(seen);

        // 8 s hold 4 windows. A window's rounds reach the collector over one or two intervals; the profile of
        // its first rounds says it covers the time since the previous window's last round, not its own 0.5 s
        // interval, and a thread that slept throughout shows as much wall time in it as it says it covers (not
        // 0.5 s every 2 s, as when the rounds stood for their interval alone).
        var spanning = covered.Where(c => c.ProfileSeconds > 2 * c.IntervalSeconds).ToList();
        Assert.IsGreaterThanOrEqualTo(2, spanning.Count, seen);
        foreach (var (profileSeconds, _, sleeperSeconds) in spanning)
        {
            Assert.AreEqual(profileSeconds, sleeperSeconds, profileSeconds * 0.15, seen);
        }
    }

    [TestMethod]
    public async Task WallTime_LeavesOutIdleThreadPoolWorkers()
    {
        var batch = await Profile(new ProfilingOptions { SamplingDutyCycle = 1 }, () =>
        {
            Thread.Sleep(500);
            return string.Empty;
        });

        var (idle, _, _) = Sum(batch.Batch, "wall", "LowLevelLifoSemaphore", null);
        Assert.AreEqual(0, idle, "parked pool workers with no span are not wall time of the app");
    }

    private static async Task<(ProfileBatch Batch, string SpanId)> Profile(ProfilingOptions options, Func<string> work)
    {
        options.ExportInterval = TimeSpan.FromMinutes(10);
        var exporter = new CollectingExporter();
        string spanId;
        using (var profiler = new ContinuousProfiler(options, [exporter], () => ResourceBuilder.CreateEmpty().Build()))
        {
            Assert.IsTrue(profiler.Start());
            await Task.Delay(300); // let the sessions start delivering
            profiler.CollectInterval(); // start-up (rundown, JIT) slows the sampler's rounds: measure after it
            spanId = await Task.Run(work);

            // Events reach the consumer 100-300 ms after they happen, later on a busy machine: disposing stops
            // every session once it has delivered all it holds, then exports the last interval.
        }

        return (exporter.Batches.Single(), spanId);
    }

    /// <summary>Sums a profile type's values over samples whose stack contains <paramref name="function"/>.</summary>
    private static (long Value, HashSet<string> SpanIds, HashSet<string> Labels) Sum(ProfileBatch batch, string sampleOrPeriodType, string function, string? labelKey)
    {
        var d = batch.Dictionary;
        var profile = batch.Profiles.SingleOrDefault(p => d.Strings[p.SampleType.TypeStrIndex] == sampleOrPeriodType)
            ?? batch.Profiles.SingleOrDefault(p => d.Strings[p.PeriodType.TypeStrIndex] == sampleOrPeriodType);
        long value = 0;
        var spans = new HashSet<string>();
        var labels = new HashSet<string>();
        if (profile is null)
        {
            // No sample of that type in the interval (the native sampler takes none of a process that only sleeps).
            return (value, spans, labels);
        }

        foreach (var sample in profile.Samples)
        {
            bool matches = d.Stacks[sample.StackIndex].LocationIndices
                .Any(l => d.Strings[d.Functions[d.Locations[l].FunctionIndex].NameStrIndex].Contains(function, StringComparison.Ordinal));
            if (!matches)
            {
                continue;
            }

            value += sample.Value;
            spans.Add(sample.LinkIndex == 0 ? "(none)" : d.Links[sample.LinkIndex].SpanIdHex);
            foreach (int a in sample.AttributeIndices)
            {
                if (labelKey is not null && d.Strings[d.Attributes[a].KeyStrIndex] == labelKey)
                {
                    labels.Add(d.Attributes[a].Value.StringValue!);
                }
            }
        }

        return (value, spans, labels);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AllocateKnownBytes(long total)
    {
        // byte[8000]: 8,000 bytes of data plus a 24-byte header = 8,024 bytes per array on 64-bit.
        long allocated = 0;
        byte[]? keep = null;
        while (allocated < total)
        {
            keep = new byte[8000];
            allocated += 8024;
        }

        GC.KeepAlive(keep);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowAndCatch()
    {
        try
        {
            throw new KnownProfilingTestException("secret message");
        }
        catch (KnownProfilingTestException)
        {
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TimeSpan ContendedWaits(int waits, TimeSpan hold)
    {
        var gate = new object();
        var waited = TimeSpan.Zero;
        for (int i = 0; i < waits; i++)
        {
            // Flags, not events: ManualResetEventSlim takes a lock of its own, which can contend too. The holder
            // starts its hold only once this thread waits for the lock (the runtime has counted its contention):
            // on a busy machine this thread can lose its core for longer than the hold after seeing the lock
            // taken, and then it would take the lock uncontended.
            bool held = false, trying = false;
            long contentionsBefore = 0;
            var holder = new Thread(() =>
            {
                lock (gate)
                {
                    Volatile.Write(ref held, true);
                    SpinWait.SpinUntil(() => Volatile.Read(ref trying));
                    SpinWait.SpinUntil(() => Monitor.LockContentionCount > Volatile.Read(ref contentionsBefore), TimeSpan.FromSeconds(5));
                    Thread.Sleep(hold);
                }
            });
            holder.Start();
            SpinWait.SpinUntil(() => Volatile.Read(ref held));
            Volatile.Write(ref contentionsBefore, Monitor.LockContentionCount);
            long start = Stopwatch.GetTimestamp();
            Volatile.Write(ref trying, true);
            lock (gate)
            {
                waited += Stopwatch.GetElapsedTime(start);
            }

            holder.Join();
        }

        return waited;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SleepKnownTime(TimeSpan time) => Thread.Sleep(time);
}
