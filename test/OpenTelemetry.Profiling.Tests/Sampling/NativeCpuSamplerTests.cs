using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Profiling.Sampling;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class NativeCpuSamplerTests
{
    [TestMethod]
    public void CodeMap_Parse_TellsNativeLibrariesFromManagedCode()
    {
        Assert.AreEqual((0x7f00_0000_1000UL, 0x7f00_0000_2000UL, true), NativeCpuSampler.CodeMap.Parse("7f0000001000-7f0000002000 r-xp 00001000 fe:00 1234                       /usr/lib/x86_64-linux-gnu/libc.so.6"));
        Assert.AreEqual((0x1000UL, 0x2000UL, true), NativeCpuSampler.CodeMap.Parse("1000-2000 r-xp 00000000 00:00 0                          [vdso]"));
        Assert.AreEqual((0x1000UL, 0x2000UL, false), NativeCpuSampler.CodeMap.Parse("1000-2000 r-xp 00000000 fe:00 99   /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/System.Private.CoreLib.dll"), "ReadyToRun code");
        Assert.AreEqual((0x1000UL, 0x2000UL, false), NativeCpuSampler.CodeMap.Parse("1000-2000 r-xs 00e69000 00:01 4843                       /memfd:doublemapper (deleted)"), "JIT code, double-mapped");
        Assert.AreEqual((0x1000UL, 0x2000UL, false), NativeCpuSampler.CodeMap.Parse("1000-2000 r-xp 00000000 00:00 0"), "anonymous JIT code");
        Assert.IsNull(NativeCpuSampler.CodeMap.Parse("1000-2000 rw-p 00000000 00:00 0                          [heap]"), "not executable");
        Assert.AreEqual((0x1000UL, 0x2000UL), NativeCpuSampler.CodeMap.ParseData("1000-2000 rw-p 00000000 00:00 0                          [heap]"), "data: not code, never worth reading the map again for");
        Assert.IsNull(NativeCpuSampler.CodeMap.ParseData("1000-2000 ---p 00000000 00:00 0"), "reserved: code may be committed there");
        Assert.IsNull(NativeCpuSampler.CodeMap.ParseData("1000-2000 r-xp 00000000 00:00 0"), "code");
        Assert.IsNull(NativeCpuSampler.CodeMap.Parse("1000-2000 r-xp"), "truncated");
        Assert.IsNull(NativeCpuSampler.CodeMap.Parse("10002000 r-xp 00000000 00:00 0"), "no range");
        Assert.IsNull(NativeCpuSampler.CodeMap.Parse("-2000 r-xp 00000000 00:00 0"), "no start");
        Assert.IsNull(NativeCpuSampler.CodeMap.ParseData("1000-zz rw-p 00000000 00:00 0"), "not hexadecimal");
        Assert.IsNull(NativeCpuSampler.CodeMap.ParseData(string.Empty));
    }

    [TestMethod]
    public void CodeMap_Parse_OfThisProcessMap_AllocatesNothingBeyondTheLines()
    {
        // The sampler reads the map again when new code may have been mapped; a .NET process has about 1,300 lines.
        string[] lines = File.ReadAllLines("/proc/self/maps");
        int code = 0;
        foreach (string line in lines)
        {
            code += NativeCpuSampler.CodeMap.Parse(line) is null ? 0 : 1;
            code += NativeCpuSampler.CodeMap.ParseData(line) is null ? 0 : 1;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (string line in lines)
        {
            code -= NativeCpuSampler.CodeMap.Parse(line) is null ? 0 : 1;
            code -= NativeCpuSampler.CodeMap.ParseData(line) is null ? 0 : 1;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0, code);
        Assert.AreEqual(0, allocated, $"{lines.Length} lines");
        Assert.IsTrue(lines.Any(line => NativeCpuSampler.CodeMap.Parse(line) is { Native: false }), "the map shows managed code (the assemblies' and the JIT's)");
    }

    [TestMethod]
    public void NativeThreadFrames_ForThread_TellsTheJitFromTheGcFromTheRest()
    {
        Assert.AreEqual(NativeThreadFrames.Jit, NativeThreadFrames.ForThread(".NET Tiered Com"));
        Assert.AreEqual(NativeThreadFrames.Gc, NativeThreadFrames.ForThread(".NET BGC"));
        Assert.AreEqual(NativeThreadFrames.Gc, NativeThreadFrames.ForThread(".NET Server GC"));
        Assert.AreEqual(NativeThreadFrames.Gc, NativeThreadFrames.ForThread(".NET GC"));
        Assert.AreEqual(NativeThreadFrames.Other, NativeThreadFrames.ForThread(".NET EventPipe"));
        Assert.AreEqual(NativeThreadFrames.Other, NativeThreadFrames.ForThread("GC worker"), "an app's own thread is not the runtime's GC");
        Assert.AreEqual(NativeThreadFrames.Other, NativeThreadFrames.ForThread(string.Empty), "a thread that ended before it was named");
    }

    [TestMethod]
    public void KeepFrames_KeepsTheManagedFrames_AndChargesTheGcAndJitThreadsToTheirFrameWhateverTheirChainHolds()
    {
        // 0x1000s are managed code, 0x2000s native, the rest unknown. The JIT's walk can meet the address of the
        // method it compiles (0x1500 here), which must not show as the JIT thread running that method.
        static CodeKind Classify(ulong address) => address switch
        {
            >= 0x1000 and < 0x2000 => CodeKind.Managed,
            >= 0x2000 and < 0x3000 => CodeKind.Native,
            _ => CodeKind.Unknown,
        };
        ulong[] chain = [0x2010, 0x1100, 0x9999, 0x1200, 0x2020];
        ulong[] jitChain = [0x2010, 0x2030, 0x1500, 0x2040];
        var output = new ulong[8];

        ulong[] Keep(ulong[] addresses, ulong threadFrame) => output[..NativeCpuSampler.KeepFrames(addresses, threadFrame, Classify, output)];

        CollectionAssert.AreEqual(new ulong[] { 0x1100, 0x1200 }, Keep(chain, NativeThreadFrames.Other), "an app thread: its managed frames, past native and unknown ones");
        CollectionAssert.AreEqual(new[] { NativeThreadFrames.Other }, Keep([0x2010, 0x9999], NativeThreadFrames.Other), "an app thread in native code alone");
        CollectionAssert.AreEqual(new[] { NativeThreadFrames.Jit }, Keep(jitChain, NativeThreadFrames.Jit), "the JIT's thread");
        CollectionAssert.AreEqual(new[] { NativeThreadFrames.Gc }, Keep(chain, NativeThreadFrames.Gc), "a GC thread");
    }

    [TestMethod]
    public void TryStart_WhileAnotherSamplerRuns_SaysSigprofIsTaken_AndStartsAgainOnceItStops()
    {
        using var first = NativeCpuSampler.TryStart(100, (_, _, _, _) => { }, _ => { }, _ => false, null, out string reason);
        if (first is null)
        {
            Assert.Inconclusive("the native sampler is not available here: " + reason);
        }

        Assert.IsNull(NativeCpuSampler.TryStart(100, (_, _, _, _) => { }, _ => { }, _ => false, null, out string taken), "one sampler per process");
        StringAssert.Contains(taken, "SIGPROF is taken");

        first.Dispose();
        var samples = new ConcurrentQueue<int>();
        using var second = NativeCpuSampler.TryStart(200, (tid, _, _, _) => samples.Enqueue(tid), _ => { }, _ => false, null, out reason);
        Assert.IsNotNull(second, "free again once the first stopped: " + reason);
        int tid = 0;
        var busy = new Thread(() =>
        {
            tid = OsThread.CurrentId;
            Thread.Sleep(800); // found by the sampler's rescan
            SpinForCpu(TimeSpan.FromMilliseconds(300));
        });
        busy.Start();
        busy.Join();
        Thread.Sleep(100);
        second.Dispose();
        Assert.IsTrue(samples.Count(t => t == tid) >= 20, $"the second sampler samples: {samples.Count(t => t == tid)} of the busy thread");
    }

    [TestMethod]
    [DataRow(200)]
    [DataRow(1000)] // above the kernel's tick (250 Hz here): fewer signals, each standing for the periods that expired
    public void Samples_ABusyThreadAtItsRate_WithManagedFramesOnly_OnItsOwnThreadAndClock(int rate)
    {
        var samples = new ConcurrentQueue<(int Tid, long Time, ulong[] Stack, int Weight)>();
        using var sampler = NativeCpuSampler.TryStart(rate, (tid, time, stack, weight) => samples.Enqueue((tid, time, stack.ToArray(), weight)), _ => { }, _ => false, null, out string reason);
        if (sampler is null)
        {
            Assert.Inconclusive("the native sampler is not available here: " + reason);
        }

        int busyTid = 0;
        TimeSpan cpu = TimeSpan.Zero;
        long start = 0;
        using var go = new ManualResetEventSlim(false);
        var busy = new Thread(() =>
        {
            busyTid = OsThread.CurrentId;
            go.Wait();
            start = Stopwatch.GetTimestamp();
            var before = ThreadCpu();
            SpinFor(TimeSpan.FromMilliseconds(600));
            cpu = ThreadCpu() - before;
        });
        busy.Start();
        Thread.Sleep(1000); // the sampler finds new threads within half a second
        go.Set();
        busy.Join();
        long end = Stopwatch.GetTimestamp();
        Thread.Sleep(300); // drained every 100 ms
        sampler.Dispose();

        var mine = samples.Where(s => s.Tid == busyTid).ToList();
        double expected = cpu.TotalSeconds * rate;
        int periods = mine.Sum(s => s.Weight);
        Console.WriteLine($"{mine.Count} samples standing for {periods} periods of the busy thread for {cpu.TotalMilliseconds:F0} ms of its CPU (expected about {expected:F0}); {sampler.NativeOnly} native-only, {sampler.Lost} lost, {sampler.Unmonitored} unmonitored");
        Assert.AreEqual(expected, periods, expected * 0.3, "one period per 1/rate of the thread's own CPU time, none lost");
        Assert.IsTrue(mine.All(s => s.Time >= start && s.Time <= end), "timestamps on the Stopwatch clock, within the thread's run");
        // The spinning thread calls native code too (the clock; the /proc read of its CPU time): a sample caught there
        // whose frame chain leads to no managed caller is charged to the thread's native frame (1 in 12 runs had one).
        var code = NativeCpuSampler.CodeMap.Read();
        int nativeOnly = mine.Count(s => s.Stack is [NativeThreadFrames.Other]);
        Console.WriteLine($"{nativeOnly} of the busy thread's samples found no managed frame");
        var offending = mine.Where(s => s.Stack is not [NativeThreadFrames.Other] && (s.Stack.Length == 0 || s.Stack.Any(a => code.Classify(a) != CodeKind.Managed)))
            .Select(s => $"[{string.Join(" ", s.Stack.Select(a => $"{a:x}:{code.Classify(a)}"))}]").ToList();
        Assert.IsEmpty(offending, $"only managed frames are kept; {offending.Count} of {mine.Count} samples hold others: {string.Join(" ", offending.Take(5))}");
        Assert.IsLessThanOrEqualTo(Math.Max(2, mine.Count / 20), nativeOnly, $"the spinning thread runs managed code: {nativeOnly} of {mine.Count} samples found no managed frame");
        Assert.IsTrue(mine.Count(s => s.Stack.Length >= 3) >= mine.Count * 0.9, $"frame pointers lead back through the callers: {mine.Count(s => s.Stack.Length >= 3)} of {mine.Count} samples have 3 managed frames or more; lengths {string.Join(",", mine.Select(s => s.Stack.Length))}");
    }

    [TestMethod]
    public void Samples_EveryCoreBusyAtTheDefaultRate_NoneLostFromTheRing()
    {
        // The ring is sized for the rate (600 KB at the default on two cores): twice as many threads as cores,
        // all spinning, must still find a free slot for every signal between two drains.
        int rate = ProfilingOptions.DefaultTargetSamplesPerCpuSecond;
        var periods = new ConcurrentDictionary<int, int>();
        using var sampler = NativeCpuSampler.TryStart(rate, (tid, _, _, weight) => periods.AddOrUpdate(tid, weight, (_, w) => w + weight), _ => { }, _ => false, null, out string reason);
        if (sampler is null)
        {
            Assert.Inconclusive("the native sampler is not available here: " + reason);
        }

        var cpu = new ConcurrentDictionary<int, TimeSpan>();
        using var go = new ManualResetEventSlim(false);
        var threads = Enumerable.Range(0, 2 * Environment.ProcessorCount).Select(_ => new Thread(() =>
        {
            go.Wait();
            var before = ThreadCpu();
            SpinFor(TimeSpan.FromMilliseconds(1500));
            cpu[OsThread.CurrentId] = ThreadCpu() - before;
        })).ToList();
        threads.ForEach(t => t.Start());
        Thread.Sleep(1000); // the sampler finds new threads within half a second
        go.Set();
        threads.ForEach(t => t.Join());
        Thread.Sleep(300);
        sampler.Dispose();

        double expected = cpu.Values.Sum(c => c.TotalSeconds) * rate;
        int taken = cpu.Keys.Sum(tid => periods.GetValueOrDefault(tid));
        Console.WriteLine($"{taken} periods for {cpu.Values.Sum(c => c.TotalMilliseconds):F0} ms of the spinners' CPU (expected about {expected:F0}); {sampler.Lost} lost");
        Assert.AreEqual(0L, sampler.Lost, "no signal found the ring full");
        Assert.AreEqual(expected, taken, expected * 0.3, "one period per 1/rate of each thread's CPU time");
    }

    [TestMethod]
    public void Profiler_ByDefault_TakesCpuFromTheNativeSampler_AndWithRuntimeFromTheRuntimesSampler()
    {
        // The build compiles the native sampler wherever it can run (Linux x64 and Arm64 with gcc, which CI installs).
        bool nativeAvailable = false;
        string reason = string.Empty;
        if (NativeCpuSampler.TryStart(100, (_, _, _, _) => { }, _ => { }, _ => false, null, out reason) is { } probe)
        {
            probe.Dispose();
            nativeAvailable = true;
        }

        bool buildable = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64;
        Assert.AreEqual(buildable, nativeAvailable, "the native sampler starts where it is built: " + reason);

        using (var byDefault = new ContinuousProfiler(new ProfilingOptions { ExportInterval = TimeSpan.FromMinutes(10) }, [], () => ResourceBuilder.CreateEmpty().Build()))
        {
            Assert.IsTrue(byDefault.Start());
            Assert.AreEqual(nativeAvailable, byDefault.NativeSampler is not null, "Auto takes the native sampler where it can, and falls back where it cannot");
            if (nativeAvailable)
            {
                var (spin, period) = SpinAndCollect(byDefault);
                Assert.IsTrue(spin >= 10, $"the native samples of the spinning method: {spin}");
                Assert.AreEqual(1_000_000_000 / new ProfilingOptions().TargetSamplesPerCpuSecond, period, "each native sample stands for 1 / the default rate of CPU time");
            }
        }

        using var runtime = new ContinuousProfiler(new ProfilingOptions { ExportInterval = TimeSpan.FromMinutes(10), CpuSampler = CpuSampler.Runtime, SamplingDutyCycle = 1 }, [], () => ResourceBuilder.CreateEmpty().Build());
        Assert.IsTrue(runtime.Start());
        Assert.IsNull(runtime.NativeSampler);
        var (runtimeSpin, runtimePeriod) = SpinAndCollect(runtime);
        Assert.IsTrue(runtimeSpin >= 100, $"the runtime's sampler gives CPU samples of the spinning method: {runtimeSpin}");
        Assert.IsTrue(runtimePeriod is > 500_000 and < 5_000_000, $"the runtime's period, about a round a millisecond: {runtimePeriod} ns");
    }

    [TestMethod]
    [DataRow(0)]  // sampled in the version's own loop: its record is in the handler's copy of the stack
    [DataRow(48)] // sampled 48 calls deeper (about 6 KB of stack): the record is beyond the copy
    public void Samples_InAMethodRunningItsOnStackReplacementVersion_NameItsCaller(int depth)
    {
        // A method with a loop starts as tier-0 code and moves to its optimized on-stack-replacement version in the
        // middle of the loop; that version's frame-pointer record skips its caller (see FrameRepair).
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Inconclusive("The on-stack-replacement frame layout checked here is x64's.");
        }

        using var profiler = new ContinuousProfiler(new ProfilingOptions { ExportInterval = TimeSpan.FromMinutes(10), TargetSamplesPerCpuSecond = 200 }, [], () => ResourceBuilder.CreateEmpty().Build());
        Assert.IsTrue(profiler.Start());
        Assert.IsNotNull(profiler.NativeSampler, "the native sampler runs on Linux x64");

        long inLoop = 0;
        long deep = 0;
        long withCaller = 0;
        var callers = new Dictionary<string, long>();

        // 800 ms of wall time gives 112-159 samples on an idle machine; a busy one gives the loop less CPU in that
        // time, so it runs again (each run reaches the replacement version anew) until it has been sampled enough.
        for (int run = 0; run < 5 && inLoop < 100; run++)
        {
            var (d, cpu) = RunAndCollectCpu(profiler, () => ReplacementCaller(TimeSpan.FromMilliseconds(800), depth));
            string Name(int location) => d.Strings[d.Functions[d.Locations[location].FunctionIndex].NameStrIndex];
            foreach (var sample in cpu.Samples)
            {
                var frames = d.Stacks[sample.StackIndex].LocationIndices; // leaf first
                int loop = Array.FindIndex(frames, l => Name(l).EndsWith(".ReplacementLoop", StringComparison.Ordinal));
                if (loop < 0)
                {
                    continue;
                }

                inLoop += sample.Value;
                deep += loop >= depth ? sample.Value : 0;
                string caller = loop + 1 < frames.Length ? Name(frames[loop + 1]) : "(none)";
                callers[caller] = callers.GetValueOrDefault(caller) + sample.Value;
                withCaller += caller.EndsWith(".ReplacementCaller", StringComparison.Ordinal) ? sample.Value : 0;
            }
        }

        string seen = string.Join(", ", callers.Select(c => $"{c.Key}: {c.Value}"));
        Console.WriteLine($"in the loop {inLoop}, deep {deep}, with its caller {withCaller}, callers put back {profiler.NativeSampler.ReplacementCallersRestored} ({seen})");
        Assert.IsTrue(inLoop >= 50, $"samples in the loop: {inLoop}");
        Assert.IsTrue(deep >= inLoop * 0.9, $"samples at least {depth} calls below the loop: {deep} of {inLoop}");
        Assert.IsTrue(withCaller >= inLoop * 0.95, $"the loop's samples with its caller right below it: {withCaller} of {inLoop} ({seen})");

        // The loop runs its tier-0 version first, for a fixed amount of CPU (about 230 ms at depth 48) before it moves to
        // the replacement, and for 800 ms of wall time a run: on a busy machine most of its samples can be tier-0's
        // (30 of 79 were the replacement's in one such run, 112 of 159 alone). What matters is that the replacement was
        // sampled often enough that the check above fails if its callers are not put back.
        Assert.IsTrue(profiler.NativeSampler.ReplacementCallersRestored >= inLoop / 10, $"callers put back in place of a leftover address: {profiler.NativeSampler.ReplacementCallersRestored}, samples in the loop {inLoop}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong ReplacementCaller(TimeSpan duration, int depth) => ReplacementLoop(duration, depth) + 1;

    // Tier-0 code at first (no optimization attribute): the loop soon moves it to its on-stack-replacement version.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong ReplacementLoop(TimeSpan duration, int depth)
    {
        long until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        ulong x = 1;
        while (Stopwatch.GetTimestamp() < until)
        {
            if (depth > 0)
            {
                x += Deep(depth, x);
                continue;
            }

            for (int i = 0; i < 1000; i++)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }
        }

        return x;
    }

    // Optimized at once, so only the loop above runs as an on-stack-replacement version; 128 bytes of stack each.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static ulong Deep(int depth, ulong x)
    {
        Span<byte> room = stackalloc byte[128];
        room[depth & 127] = (byte)x;
        if (depth > 1)
        {
            return Deep(depth - 1, x) + room[depth & 127];
        }

        for (int i = 0; i < 20_000; i++)
        {
            x = (x * 6364136223846793005UL) + 1442695040888963407UL;
        }

        return x + room[0];
    }

    private static (long Spin, long Period) SpinAndCollect(ContinuousProfiler profiler)
    {
        var (d, cpu) = RunAndCollectCpu(profiler, () => SpinForCpu(TimeSpan.FromMilliseconds(600)));
        long spin = cpu.Samples.Where(s => d.Stacks[s.StackIndex].LocationIndices.Any(l => d.Strings[d.Functions[d.Locations[l].FunctionIndex].NameStrIndex].EndsWith(".SpinFor", StringComparison.Ordinal))).Sum(s => s.Value);
        return (spin, cpu.Period);
    }

    /// <summary>Runs <paramref name="work"/> on a new thread, alone in an interval of its own, and returns that interval's CPU profile.</summary>
    private static (ProfileDictionary Dictionary, Profile Cpu) RunAndCollectCpu(ContinuousProfiler profiler, Action work)
    {
        using var go = new ManualResetEventSlim(false);
        var worker = new Thread(() =>
        {
            go.Wait();
            work();
        });
        worker.Start();
        Thread.Sleep(700); // sessions delivering, and the native sampler has found the new thread
        profiler.CollectInterval();
        go.Set();
        worker.Join();
        Thread.Sleep(600);
        var batch = profiler.CollectInterval();
        var d = batch.Dictionary;
        return (d, batch.Profiles.Single(p => d.Strings[p.PeriodType.TypeStrIndex] == "cpu"));
    }

    /// <summary>Spins until the calling thread has used <paramref name="cpu"/> of CPU time, however busy the machine (at most 20 s).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpinForCpu(TimeSpan cpu)
    {
        var until = ThreadCpu() + cpu;
        var giveUp = Stopwatch.GetTimestamp() + (20 * Stopwatch.Frequency);
        while (ThreadCpu() < until && Stopwatch.GetTimestamp() < giveUp)
        {
            SpinFor(TimeSpan.FromMilliseconds(5));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpinFor(TimeSpan duration)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        ulong x = 1;
        while (Stopwatch.GetTimestamp() < until)
        {
            for (int i = 0; i < 1000; i++)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }
        }

        GC.KeepAlive(x);
    }

    /// <summary>The calling thread's CPU time (user and kernel) from /proc, in the kernel's 10 ms clock ticks.</summary>
    private static TimeSpan ThreadCpu()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
