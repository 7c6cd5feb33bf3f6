using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using OpenTelemetry.Profiling.Diagnostics;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// CPU samples from our own native sampler (<c>Native/otelprof_sampler.c</c>) instead of the runtime's sampler.
/// Every thread of the process gets a POSIX timer on its own CPU clock, delivered to that thread as SIGPROF: after
/// each period of that thread's CPU time the handler records its registers, copies the top of its stack and
/// follows its frame pointers into a ring this sampler drains every 100 ms. The kernel checks CPU timers at its
/// tick, so idle threads cost nothing and a context switch costs nothing extra; nothing is suspended, so sampling
/// stays on all the time. On x64 the JIT leaves small methods without a frame pointer; <see cref="FrameRepair"/>
/// puts back the callers the walk loses, from the registers and the stack copy.
/// <para>
/// Frames in native code (the runtime, libc) are left out, so stacks show managed code as the runtime's sampler
/// does, and CPU spent in native code called from managed code (system calls included) is charged to the managed
/// caller. Samples with no managed frame at all (the GC's and the JIT's threads) get one frame that names what the
/// thread does (<see cref="NativeThreadFrames"/>), so the CPU profile covers the whole process's CPU. Linux on
/// x64 and Arm64 only, where the library was built (the project builds it with gcc); elsewhere, or when SIGPROF
/// already belongs to someone else, the caller falls back to the runtime's sampler.
/// </para>
/// </summary>
internal sealed unsafe class NativeCpuSampler : IDisposable
{
    /// <summary>
    /// The ring holds twice what all processors can write between two drains at the rate asked for, at least 64
    /// samples (about 9 KB each: 600 KB, more than half a second of both cores' samples at the default rate on
    /// these 2-core machines) and at most 4,096 (at 1000 Hz on 16 processors, 37 MB). It was at least 256
    /// (2.4 MB, the largest block of native memory the profiler held) while the default rate fills 12 a drain.
    /// </summary>
    private const int MinRingBits = 6;
    private const int MaxRingBits = 12;

    /// <summary>Marks a thread of the profiler's own (or the runtime's EventPipe thread, which serves its sessions): never armed.</summary>
    private const long NotArmed = long.MinValue;

    /// <summary>
    /// How often the ring is read: seldom, because each wake-up costs the profiler's thread more than the samples
    /// it handles (the thread took 170-220 ms of CPU per 25 s under the harness's load at every 20 ms, 70-120 ms at
    /// every 100 ms), and soon enough that the threads' span histories still reach back to the samples (the
    /// correlation test links 100 % of its in-span samples right either way).
    /// </summary>
    private const int DrainMilliseconds = 100;

    /// <summary>New threads are armed within half a second.</summary>
    private const int RescanEveryDrains = 5;
    private const int ErrorNoSuchProcess = 3; // ESRCH

    private readonly Action<int, long, ReadOnlySpan<ulong>, int> onSample;
    private readonly Func<int, bool> isOwnThread;
    private readonly Dictionary<int, long> timers = [];
    private readonly HashSet<int> seen = [];
    private readonly List<int> retry = [];

    /// <summary>Samples held back for one drain (see <see cref="NamesUnknownMethods"/>); at most 32, the rest go on at once.</summary>
    private readonly NativeSamplerInterop.Sample[] held = new NativeSamplerInterop.Sample[32];
    private int heldCount;
    private readonly Dictionary<int, ulong> nativeFrames = [];
    private readonly ulong[] repaired = new ulong[2 * NativeSamplerInterop.MaxFrames];
    private readonly ulong[] stack = new ulong[2 * NativeSamplerInterop.MaxFrames];
    private readonly FrameRepair? repair;
    private readonly Symbols.MethodMap? methods;
    private readonly Func<ulong, CodeKind> classify;
    private long methodRemovals;
    private readonly ManualResetEventSlim stopRequested = new(false);
    private NativeSamplerInterop.Sample* sample;
    private CodeMap code = CodeMap.Read();

    /// <summary>
    /// When the code map is read again: a chain leads to an address no mapping covers, which is new code or a
    /// value a walk through native code picked up (<see cref="CodeMapRefresh"/>). Addresses that cannot be new code
    /// cause no read: those inside readable data mappings (heap and stack values) and those outside user space.
    /// JIT code the method map already knows is managed at once.
    /// </summary>
    private readonly CodeMapRefresh codeRefresh = new(Stopwatch.GetTimestamp());
    private Thread? thread;
    private long samples;
    private long nativeOnly;
    private long scanned;
    private int unmonitored;
    private long lostAtStop = -1;
    private long codeMapReads;

    private NativeCpuSampler(ulong periodNanos, Action<int, long, ReadOnlySpan<ulong>, int> onSample, Func<int, bool> isOwnThread, Symbols.MethodMap? methods)
    {
        this.PeriodNanos = periodNanos;
        this.onSample = onSample;
        this.isOwnThread = isOwnThread;
        this.methods = methods;
        this.methodRemovals = methods?.Removals ?? 0;
        this.sample = (NativeSamplerInterop.Sample*)NativeMemory.AllocZeroed((nuint)sizeof(NativeSamplerInterop.Sample));
        this.classify = this.Classify;

        // Arm64 JIT code always keeps a frame pointer; x64 leaves small methods without one.
        this.repair = methods is not null && RuntimeInformation.ProcessArchitecture == Architecture.X64
            ? new FrameRepair(methods.StartOf, this.classify)
            : null;
    }

    /// <summary>Gets the frames put back that the frame-pointer walk had lost (callers of frameless methods).</summary>
    public long FramesRepaired => this.repair?.FramesAdded ?? 0;

    /// <summary>Gets the callers of on-stack-replacement versions put back in place of a leftover address.</summary>
    public long ReplacementCallersRestored => this.repair?.ReplacementsBridged ?? 0;

    /// <summary>Gets the CPU time each sample stands for.</summary>
    public ulong PeriodNanos { get; }

    /// <summary>Gets the samples handed on.</summary>
    public long Samples => Interlocked.Read(ref this.samples);

    /// <summary>Gets the samples not taken because the ring was full (the drain fell behind).</summary>
    public long Lost
    {
        get
        {
            long atStop = Volatile.Read(ref this.lostAtStop);
            return atStop >= 0 ? atStop : (long)NativeSamplerInterop.Lost();
        }
    }

    /// <summary>
    /// Gets the samples with no managed frame, handed on with a <see cref="NativeThreadFrames"/> frame: native
    /// threads (the GC's, the JIT's), and native code whose chain could not be followed back to a managed caller.
    /// </summary>
    public long NativeOnly => Interlocked.Read(ref this.nativeOnly);

    /// <summary>Gets how many times the code map was read again (at most 10 a second, fewer while reads find nothing new).</summary>
    public long CodeMapReads => Interlocked.Read(ref this.codeMapReads);

    /// <summary>Gets the samples whose walk began past a leaf without a frame pointer (mostly libc, in system calls).</summary>
    public long Scanned => Interlocked.Read(ref this.scanned);

    /// <summary>Gets the threads no timer could be armed for at the last look (the process's limit on pending signals ran out); tried again every 0.5 s.</summary>
    public int Unmonitored => Volatile.Read(ref this.unmonitored);

    /// <summary>
    /// Starts sampling every thread of the process at <paramref name="samplesPerCpuSecond"/>. Returns null, with the
    /// reason, when the native sampler is not available here; nothing is left armed then.
    /// </summary>
    /// <param name="samplesPerCpuSecond">Samples per CPU-second of each thread (above the kernel's tick, usually 250 or 1000 Hz, a sample stands for several periods).</param>
    /// <param name="onSample">Receives each sample: thread, Stopwatch time, managed frames leaf first, and the sampling periods it stands for (1, more when the thread's timer expired again before its signal arrived).</param>
    /// <param name="excludeThread">Registers the sampler's own thread as the profiler's.</param>
    /// <param name="isOwnThread">Tells the profiler's own threads, which get no timer.</param>
    /// <param name="methods">The method map: which addresses hold managed code, and on x64 where frameless methods' callers are put back.</param>
    /// <param name="reason">Why the native sampler is not available, when null is returned.</param>
    public static NativeCpuSampler? TryStart(int samplesPerCpuSecond, Action<int, long, ReadOnlySpan<ulong>, int> onSample, Action<int> excludeThread, Func<int, bool> isOwnThread, Symbols.MethodMap? methods, out string reason)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            reason = "the native sampler needs Linux on x64 or Arm64";
            return null;
        }

        if (samplesPerCpuSecond <= 0)
        {
            reason = "no sampling rate";
            return null;
        }

        int result;
        try
        {
            int size = NativeSamplerInterop.SampleSize();
            if (size != sizeof(NativeSamplerInterop.Sample))
            {
                reason = string.Create(CultureInfo.InvariantCulture, $"{NativeSamplerInterop.LibraryFileName} does not match this assembly (sample of {size} bytes, expected {sizeof(NativeSamplerInterop.Sample)})");
                return null;
            }

            result = NativeSamplerInterop.Acquire(RingBitsFor(samplesPerCpuSecond));
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            reason = $"{NativeSamplerInterop.LibraryFileName} was not found beside the assembly or could not be loaded ({ex.GetType().Name}); it is built with the project where gcc is installed";
            return null;
        }

        if (result != 0)
        {
            reason = result == -16
                ? "SIGPROF is taken (another profiler in this process, or another handler)"
                : string.Create(CultureInfo.InvariantCulture, $"the native sampler could not start (errno {-result})");
            return null;
        }

        try
        {
            var sampler = new NativeCpuSampler((ulong)(1_000_000_000L / samplesPerCpuSecond), onSample, isOwnThread, methods);
            sampler.thread = ProfilerThread.Start("NativeSampler", excludeThread, sampler.Run, "cpu");
            reason = string.Empty;
            return sampler;
        }
        catch (Exception ex)
        {
            // Nothing is armed yet: give the sampler back, so the runtime's sampler takes over.
            NativeSamplerInterop.Release();
            reason = $"the native sampler could not start ({ex.GetType().Name}: {ex.Message})";
            return null;
        }
    }

    /// <summary>The ring's size (a power of two) for a rate: twice what every processor can write between two drains.</summary>
    internal static int RingBitsFor(int samplesPerCpuSecond)
    {
        double perDrain = 2.0 * Environment.ProcessorCount * samplesPerCpuSecond * DrainMilliseconds / 1000;
        int bits = (int)Math.Ceiling(Math.Log2(Math.Max(1, perDrain)));
        return Math.Clamp(bits, MinRingBits, MaxRingBits);
    }

    public void Dispose()
    {
        if (this.thread is null || this.stopRequested.IsSet)
        {
            return;
        }

        this.stopRequested.Set();

        // The thread disarms every timer, drains what is left and releases the sampler itself.
        if (!this.thread.Join(TimeSpan.FromSeconds(5)))
        {
            ProfilingEventSource.Log.ConsumerFailed("Native sampler", new TimeoutException("The native sampler did not stop within 5 s."));
        }
    }

    private void Run()
    {
        try
        {
            this.Rescan();
            int drains = 0;
            while (!this.stopRequested.Wait(DrainMilliseconds))
            {
                drains++;
                if (drains % RescanEveryDrains == 0)
                {
                    this.Rescan();
                }

                this.Drain();
            }
        }
        catch (Exception ex)
        {
            ProfilingEventSource.Log.ConsumerFailed("Native sampler", ex);
        }
        finally
        {
            foreach (long timer in this.timers.Values)
            {
                if (timer >= 0)
                {
                    NativeSamplerInterop.Disarm(timer);
                }
            }

            this.timers.Clear();
            try
            {
                this.Drain(final: true);
            }
            catch (Exception ex)
            {
                ProfilingEventSource.Log.ConsumerFailed("Native sampler", ex);
            }

            Volatile.Write(ref this.lostAtStop, (long)NativeSamplerInterop.Lost());
            NativeSamplerInterop.Release();
            NativeMemory.Free(this.sample);
            this.sample = null;
            this.stopRequested.Dispose();
        }
    }

    /// <summary>Arms timers for threads that appeared and disarms those of threads that ended.</summary>
    private void Rescan()
    {
        this.seen.Clear();
        foreach (string directory in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(directory.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out int tid))
            {
                continue;
            }

            this.seen.Add(tid);
            if (this.timers.ContainsKey(tid))
            {
                continue;
            }

            if (this.isOwnThread(tid) || IsEventPipeThread(tid))
            {
                this.timers[tid] = NotArmed;
                continue;
            }

            this.timers[tid] = NativeSamplerInterop.Arm(tid, (long)this.PeriodNanos);
        }

        // Threads whose timer could not be armed (the process's limit on pending signals) are tried again.
        int failed = 0;
        this.retry.Clear();
        foreach (var (tid, timer) in this.timers)
        {
            if (timer < 0 && timer != NotArmed && this.seen.Contains(tid))
            {
                this.retry.Add(tid);
            }
        }

        foreach (int tid in this.retry)
        {
            long again = NativeSamplerInterop.Arm(tid, (long)this.PeriodNanos);
            this.timers[tid] = again;
            failed += again < 0 && again != -ErrorNoSuchProcess ? 1 : 0;
        }

        Volatile.Write(ref this.unmonitored, failed);

        // A method was unloaded: its code may be reused by another, so what the frame repair knew is stale.
        if (this.methods is not null && this.methods.Removals != this.methodRemovals)
        {
            this.methodRemovals = this.methods.Removals;
            this.repair?.ClearCaches();
        }

        List<int>? ended = null;
        foreach (var (tid, timer) in this.timers)
        {
            if (!this.seen.Contains(tid))
            {
                if (timer >= 0)
                {
                    NativeSamplerInterop.Disarm(timer);
                }

                (ended ??= []).Add(tid);
            }
        }

        ended?.ForEach(tid =>
        {
            this.timers.Remove(tid);
            this.nativeFrames.Remove(tid);
        });
    }

    /// <summary>
    /// Whether a thread is the runtime's EventPipe thread: it serves the profiler's sessions (and any other's),
    /// so its CPU is the profiler's cost, not the app's, and is left out as the profiler's own threads are.
    /// </summary>
    private static bool IsEventPipeThread(int tid) => ThreadName(tid).StartsWith(".NET EventPipe", StringComparison.Ordinal);

    /// <summary>A thread's name as the kernel shows it (15 characters), or empty when the thread has ended.</summary>
    private static string ThreadName(int tid)
    {
        try
        {
            return File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/self/task/{tid}/comm")).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>The frame a thread's native work goes to, from its name (read once per thread): the GC's, the JIT's, or other.</summary>
    private ulong NativeFrameOf(int tid)
    {
        if (!this.nativeFrames.TryGetValue(tid, out ulong frame))
        {
            frame = NativeThreadFrames.ForThread(ThreadName(tid));
            this.nativeFrames[tid] = frame;
        }

        return frame;
    }

    private CodeKind Classify(ulong address)
    {
        var kind = this.code.Classify(address);
        if (kind != CodeKind.Unknown)
        {
            return kind;
        }

        if (this.methods is not null && this.methods.StartOf(address) != 0)
        {
            return CodeKind.Managed; // a method the JIT placed in memory mapped since the code map was read
        }

        long now = Stopwatch.GetTimestamp();
        if (this.codeRefresh.ShouldRead(address, now) && !this.code.IsData(address))
        {
            Interlocked.Increment(ref this.codeMapReads);
            this.code = CodeMap.Read();
            kind = this.code.Classify(address);
            this.codeRefresh.Read(Stopwatch.GetTimestamp(), found: kind != CodeKind.Unknown);
        }

        return kind;
    }


    private void Drain(bool final = false)
    {
        // Samples held back at the previous drain first: their methods' events have had another 100 ms.
        int held = this.heldCount;
        this.heldCount = 0;
        for (int i = 0; i < held; i++)
        {
            fixed (NativeSamplerInterop.Sample* heldSample = &this.held[i])
            {
                this.OnSample(heldSample, mayHold: false);
            }
        }

        while (this.sample != null && NativeSamplerInterop.Next(this.sample) == 1)
        {
            this.OnSample(this.sample, mayHold: !final);
        }
    }

    /// <summary>
    /// Picks the frames a sample keeps, leaf first, into <paramref name="output"/>: the managed ones. Native code
    /// is left out; unknown addresses are what native code without frame pointers left behind, skipped too, and
    /// the managed frames the chain finds after them are kept. A sample with none, and every sample of the GC's
    /// and the JIT's threads, is charged to <paramref name="threadFrame"/>, the frame that says which native
    /// work it was: those threads run no managed code, and a frame-pointer walk through the JIT's or the GC's
    /// frames can meet the address of a method being compiled, which would read as a managed caller.
    /// </summary>
    internal static int KeepFrames(ReadOnlySpan<ulong> addresses, ulong threadFrame, Func<ulong, CodeKind> classify, Span<ulong> output)
    {
        int frames = 0;
        if (threadFrame == NativeThreadFrames.Other)
        {
            foreach (ulong address in addresses)
            {
                if (frames < output.Length && classify(address) == CodeKind.Managed)
                {
                    output[frames++] = address;
                }
            }
        }

        if (frames == 0)
        {
            output[frames++] = threadFrame;
        }

        return frames;
    }

    /// <summary>
    /// Whether a sample's chain has JIT-compiled code whose method the method map does not know yet: its load
    /// event is still on its way (the method session streams them, often later than this drain), and the frame
    /// repair needs the method's start. Such a sample waits for the next drain, once.
    /// </summary>
    private bool NamesUnknownMethods(ReadOnlySpan<ulong> chain)
    {
        foreach (ulong address in chain)
        {
            if (this.code.Classify(address) == CodeKind.Managed && this.methods!.StartOf(address) == 0 && this.methods.StartOf(address - 1) == 0)
            {
                return true;
            }
        }

        return false;
    }

    private void OnSample(NativeSamplerInterop.Sample* s, bool mayHold)
    {
        int count = Math.Clamp(s->FrameCount, 0, NativeSamplerInterop.MaxFrames);
        ReadOnlySpan<ulong> addresses = new(s->Frames, count);

        // The GC's and the JIT's threads keep none of their frames: nothing to hold back or repair for them.
        ulong threadFrame = this.NativeFrameOf(s->Tid);
        bool keepsFrames = threadFrame == NativeThreadFrames.Other;
        if (mayHold && keepsFrames && this.repair is not null && this.heldCount < this.held.Length && this.NamesUnknownMethods(addresses))
        {
            this.held[this.heldCount++] = *s;
            return;
        }

        if (s->Scanned != 0)
        {
            Interlocked.Increment(ref this.scanned);
        }

        if (this.repair is not null && count > 0 && keepsFrames)
        {
            var stackCopy = new ReadOnlySpan<byte>(s->Stack, (int)Math.Min(s->StackBytes, (uint)NativeSamplerInterop.StackCopyBytes));
            int bridges = Math.Clamp((int)s->Bridges, 0, NativeSamplerInterop.MaxBridges);
            var bridgeFrames = new ReadOnlySpan<ushort>(s->BridgeFrames, bridges);
            var bridgeReturns = new ReadOnlySpan<ulong>(s->BridgeReturns, bridges);
            addresses = this.repaired.AsSpan(0, this.repair.Repair(addresses, s->Ip, s->Sp, s->Fp, stackCopy, this.repaired, bridgeFrames, bridgeReturns));
        }

        int frames = KeepFrames(addresses, threadFrame, this.classify, this.stack);
        if (frames == 1 && this.stack[0] == threadFrame)
        {
            Interlocked.Increment(ref this.nativeOnly);
        }

        long time = s->TimestampNanos;
        long timestamp = Stopwatch.Frequency == 1_000_000_000 ? time : (long)(time * (Stopwatch.Frequency / 1e9));
        Interlocked.Increment(ref this.samples);
        this.onSample(s->Tid, timestamp, this.stack.AsSpan(0, frames), 1 + s->Overrun);
    }


    /// <summary>
    /// The executable mappings of the process, from <c>/proc/self/maps</c>, each marked native or managed.
    /// Native: files other than managed assemblies (.dll, .exe) and the vDSO. Managed: JIT-compiled code (anonymous
    /// or memfd mappings) and ReadyToRun code (the assemblies' own mappings).
    /// </summary>
    internal sealed class CodeMap
    {
        private readonly ulong[] starts;
        private readonly ulong[] ends;
        private readonly bool[] native;
        private readonly ulong[] dataStarts;
        private readonly ulong[] dataEnds;

        private CodeMap(List<(ulong Start, ulong End, bool Native)> code, List<(ulong Start, ulong End)> data)
        {
            code.Sort();
            data.Sort();
            this.starts = [.. code.Select(r => r.Start)];
            this.ends = [.. code.Select(r => r.End)];
            this.native = [.. code.Select(r => r.Native)];
            this.dataStarts = [.. data.Select(r => r.Start)];
            this.dataEnds = [.. data.Select(r => r.End)];
        }

        public static CodeMap Read()
        {
            var code = new List<(ulong Start, ulong End, bool Native)>();
            var data = new List<(ulong Start, ulong End)>();
            try
            {
                foreach (string line in File.ReadLines("/proc/self/maps"))
                {
                    if (Parse(line) is { } range)
                    {
                        code.Add(range);
                    }
                    else if (ParseData(line) is { } dataRange)
                    {
                        data.Add(dataRange);
                    }
                }
            }
            catch (IOException)
            {
                // No maps: nothing is known, every chain ends at its first frame.
            }

            return new CodeMap(code, data);
        }

        /// <summary>Tells whether an address is in a readable, non-executable mapping (data: it cannot turn into code without a new mapping line).</summary>
        public bool IsData(ulong address)
        {
            int index = Array.BinarySearch(this.dataStarts, address);
            if (index < 0)
            {
                index = ~index - 1;
            }

            return index >= 0 && address < this.dataEnds[index];
        }

        /// <summary>Parses one maps line of a readable, non-executable mapping (heap, stacks, data); reserved memory (<c>---p</c>) is left out, since code can be committed there.</summary>
        internal static (ulong Start, ulong End)? ParseData(string line)
        {
            ReadOnlySpan<char> rest = line;
            if (!TryRange(NextField(ref rest), out ulong start, out ulong end))
            {
                return null;
            }

            var perms = NextField(ref rest);
            return perms.Length >= 3 && perms[0] == 'r' && perms[2] != 'x' ? (start, end) : null;
        }

        /// <summary>Tells what kind of code is at an address: native, managed, or none known (not executable, or mapped since).</summary>
        public CodeKind Classify(ulong address)
        {
            int index = Array.BinarySearch(this.starts, address);
            if (index < 0)
            {
                index = ~index - 1;
            }

            return index < 0 || address >= this.ends[index] ? CodeKind.Unknown : this.native[index] ? CodeKind.Native : CodeKind.Managed;
        }

        /// <summary>Parses one maps line ("start-end perms offset dev inode path"); its range when it is executable.</summary>
        /// <remarks>Works on the line in place: a read of the map parses about 1,300 lines and allocates nothing more.</remarks>
        internal static (ulong Start, ulong End, bool Native)? Parse(string line)
        {
            ReadOnlySpan<char> rest = line;
            var range = NextField(ref rest);
            var perms = NextField(ref rest);
            if (perms.Length < 3 || perms[2] != 'x' || NextField(ref rest).IsEmpty || NextField(ref rest).IsEmpty || NextField(ref rest).IsEmpty
                || !TryRange(range, out ulong start, out ulong end))
            {
                return null;
            }

            var path = rest.Trim();
            bool native = path is "[vdso]"
                || (path.StartsWith('/') && !path.StartsWith("/memfd:", StringComparison.Ordinal)
                    && !path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".exe", StringComparison.OrdinalIgnoreCase));
            return (start, end, native);
        }

        /// <summary>Returns the next field separated by spaces and moves <paramref name="rest"/> past it and the spaces after it.</summary>
        private static ReadOnlySpan<char> NextField(ref ReadOnlySpan<char> rest)
        {
            rest = rest.TrimStart(' ');
            int space = rest.IndexOf(' ');
            var field = space < 0 ? rest : rest[..space];
            rest = space < 0 ? [] : rest[(space + 1)..].TrimStart(' ');
            return field;
        }

        /// <summary>Parses "start-end" in hexadecimal.</summary>
        private static bool TryRange(ReadOnlySpan<char> field, out ulong start, out ulong end)
        {
            int dash = field.IndexOf('-');
            start = end = 0;
            return dash > 0
                && ulong.TryParse(field[..dash], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out start)
                && ulong.TryParse(field[(dash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out end);
        }
    }
}

/// <summary>What kind of code an address is in.</summary>
internal enum CodeKind
{
    Unknown,
    Native,
    Managed,
}
