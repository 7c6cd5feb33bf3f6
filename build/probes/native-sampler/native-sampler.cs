// Does a native CPU sampler (sampler.c: per-thread CPU-time timers, a SIGPROF handler walking frame pointers)
// cost less than the runtime's sampling rounds, and is it safe in a .NET process? A probe for issue #6.
//
//   gcc -O2 -shared -fPIC -fno-omit-frame-pointer build/probes/native-sampler/sampler.c -o /tmp/libnativesampler.so
//   dotnet run -c Release build/probes/native-sampler/native-sampler.cs -- /tmp/libnativesampler.so [triples] [samples per CPU-s] [http]
//
// Work: 2 threads, one per core, doing nested CPU work that allocates (so the GC suspends them while signals
// arrive), beside 20 idle threads; with "http", an HTTP server (Kestrel) and 32 closed-loop HttpClient
// requesters in the process instead, each request doing a little of the same work (requests are the work). Blocks of 2 s alternate: nothing; the native sampler (every thread of the
// process armed, new threads looked for every 500 ms, a drain every 20 ms); the runtime's sampler (an
// EventPipe session with the sample profiler, continuous: rounds every ~1 ms; the reference). The first triple
// is discarded. Prints the work done per block against "nothing" (mean +- standard error of the per-triple
// ratios), the native sampler's samples per process CPU-second, frames per sample, lost samples and the GCs
// during its blocks, the share of samples whose first frame record was found by scanning, for stacks of fewer
// than 8 frames the mappings (file, or anonymous memory: JIT code) where their walk began and where it stopped,
// and for samples taken in libc the mappings of the next three frames. It does not name frames: the kernel-sampler-wip branch showed that frame-pointer walks of
// JIT code name 100 % of frames once the callers of x64's frameless methods are put back.
#:sdk Microsoft.NET.Sdk.Web
#:package Microsoft.Diagnostics.NETCore.Client
#:property AllowUnsafeBlocks=true
#:property PublishAot=false
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.NETCore.Client;

string library = args.Length > 0 ? args[0] : "/tmp/libnativesampler.so";
int pairs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20;
int rate = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100;
bool http = args.Length > 3 && args[3] == "http";
NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, (name, _, _) => name == "nativesampler" ? NativeLibrary.Load(library) : IntPtr.Zero);
int init = Native.native_sampler_init(14);
if (init != 0)
{
    Console.Error.WriteLine($"init failed: {init}");
    return 1;
}

long[] work = new long[2];
var stop = false;
if (http)
{
    // An HTTP server and its closed-loop clients in this process, as in the showcase: sockets, system calls
    // and tens of thousands of context switches a second, so signals also land in and around system calls.
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    var app = builder.Build();
    app.MapGet("/check/{key}", (string key) => Workload.Nested(2_000) ^ key.Length);
    await app.StartAsync();
    string address = app.Urls.First();
    var requester = new HttpClient();
    for (int i = 0; i < 32; i++)
    {
        int slot = i % 2;
        _ = Task.Run(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                using var response = await requester.GetAsync($"{address}/check/k{slot}");
                await response.Content.ReadAsByteArrayAsync();
                Interlocked.Increment(ref work[slot]);
            }
        });
    }
}
else
{
    var threads = Enumerable.Range(0, work.Length).Select(i => new Thread(() => Workload.Run(ref work[i], ref stop)) { IsBackground = true }).ToList();
    threads.ForEach(t => t.Start());
}

// Idle threads, as a server's pools have: the runtime's sampler walks them every round, the native one never
// sees them (they use no CPU).
var idle = new ManualResetEventSlim(false);
for (int i = 0; i < 20; i++)
{
    new Thread(() => idle.Wait()) { IsBackground = true }.Start();
}

var armed = new Dictionary<int, long>();
long samples = 0, frames = 0, deepSamples = 0;
var shallowEnds = new List<(ulong Leaf, ulong Last)>(); // where the walk of a short stack began and stopped
var firstFrames = new List<ulong[]>(); // the first 4 frames of some samples, to see what the walk found
long[] drained = new long[1 << 20];
var samplingOn = false;
var drainer = new Thread(() =>
{
    for (long drain = 0; !Volatile.Read(ref stop); drain++)
    {
        Thread.Sleep(20);
        if (Volatile.Read(ref samplingOn) && (armed.Count == 0 || drain % 25 == 0))
        {
            lock (armed)
            {
                foreach (int tid in Directory.EnumerateDirectories("/proc/self/task").Select(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture)))
                {
                    if (!armed.ContainsKey(tid))
                    {
                        long timer = Native.native_sampler_arm(tid, 1_000_000_000L / rate);
                        if (timer >= 0)
                        {
                            armed[tid] = timer;
                        }
                    }
                }
            }
        }

        int n;
        while ((n = Native.native_sampler_drain(drained, drained.Length)) > 0)
        {
            for (int i = 0; i < n;)
            {
                int count = (int)drained[i + 2];
                samples++;
                frames += count;
                deepSamples += count >= 8 ? 1 : 0;
                if (count >= 4 && firstFrames.Count < 50_000)
                {
                    firstFrames.Add([(ulong)drained[i + 3], (ulong)drained[i + 4], (ulong)drained[i + 5], (ulong)drained[i + 6]]);
                }

                if (count < 8 && shallowEnds.Count < 100_000)
                {
                    shallowEnds.Add(((ulong)drained[i + 3], (ulong)drained[i + 2 + count]));
                }

                i += 3 + count;
            }
        }
    }
}) { IsBackground = true };
drainer.Start();

void Disarm()
{
    Volatile.Write(ref samplingOn, false);
    lock (armed)
    {
        foreach (long timer in armed.Values)
        {
            Native.native_sampler_disarm(timer);
        }

        armed.Clear();
    }
}

long Total() => work.Sum(w => Interlocked.Read(ref w));
var client = new DiagnosticsClient(Environment.ProcessId);
var ratiosNative = new List<double>();
var ratiosRuntime = new List<double>();
double nativeCpu = 0;
long nativeSamples = 0, nativeGcs = 0;
for (int pair = 0; pair <= pairs; pair++)
{
    double[] perBlock = new double[3];
    foreach (int mode in pair % 2 == 0 ? new[] { 0, 1, 2 } : new[] { 2, 1, 0 })
    {
        EventPipeSession? session = null;
        Thread? reader = null;
        long samplesBefore = Interlocked.Read(ref samples);
        if (mode == 1)
        {
            Volatile.Write(ref samplingOn, true);
        }
        else if (mode == 2)
        {
            session = client.StartEventPipeSession(new EventPipeProvider("Microsoft-DotNETCore-SampleProfiler", EventLevel.Informational), requestRundown: false, circularBufferMB: 64);
            var stream = session.EventStream;
            reader = new Thread(() => { var buffer = new byte[65536]; try { while (stream.Read(buffer) > 0) { } } catch (Exception) { } }) { IsBackground = true };
            reader.Start();
        }

        Thread.Sleep(300); // let the set-up settle before measuring
        long before = Total();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        int gcBefore = GC.CollectionCount(0);
        long samplesAtStart = Interlocked.Read(ref samples);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(2000);
        double rateOfWork = (Total() - before) / clock.Elapsed.TotalSeconds;
        perBlock[mode] = rateOfWork;
        if (mode == 1 && pair > 0)
        {
            nativeCpu += (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            nativeSamples += Interlocked.Read(ref samples) - samplesAtStart;
            nativeGcs += GC.CollectionCount(0) - gcBefore;
        }

        if (mode == 1)
        {
            Disarm();
        }
        else if (session is not null)
        {
            session.Stop();
            reader!.Join();
            session.Dispose();
        }
    }

    if (pair > 0)
    {
        ratiosNative.Add(perBlock[1] / perBlock[0]);
        ratiosRuntime.Add(perBlock[2] / perBlock[0]);
        Console.WriteLine($"triple {pair,3}: nothing {perBlock[0]:F0}/s, native {perBlock[1] / perBlock[0]:F4}, runtime {perBlock[2] / perBlock[0]:F4}");
    }
}

Volatile.Write(ref stop, true);
static (double Mean, double Error) Stats(List<double> values)
{
    double mean = values.Average();
    double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    return (mean, sd / Math.Sqrt(values.Count));
}

var (nm, ne) = Stats(ratiosNative);
var (rm, re) = Stats(ratiosRuntime);
Console.WriteLine($"native sampler / nothing:  {nm:F4} +- {ne:F4}   ({rate} samples per thread CPU-s asked)");
Console.WriteLine($"runtime sampler / nothing: {rm:F4} +- {re:F4}   (continuous, rounds every ~1 ms)");
Console.WriteLine($"native: {nativeSamples / nativeCpu:F1} samples per process CPU-s, {(double)frames / Math.Max(1, samples):F1} frames per sample, {100.0 * deepSamples / Math.Max(1, samples):F1} % with 8 or more, {Native.native_sampler_lost()} lost, {(double)Native.native_sampler_chunk_reads() / Math.Max(1, samples):F2} stack reads per sample, {100.0 * Native.native_sampler_scanned() / Math.Max(1, samples):F1} % found their first frame record by scanning, {nativeGcs} GCs during its blocks");

// Where stacks of fewer than 8 frames started and where their walk stopped, by mapping: a file (libc, the
// runtime, the System.Native shim) or anonymous executable memory (JIT-compiled code and the runtime's stubs).
var maps = File.ReadAllLines("/proc/self/maps").Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries)).Select(f =>
{
    string[] range = f[0].Split('-');
    string name = f.Length > 5 ? Path.GetFileName(f[5].Trim()) : "[anonymous]";
    return (Start: Convert.ToUInt64(range[0], 16), End: Convert.ToUInt64(range[1], 16), Name: name.Length == 0 ? f[5].Trim() : name);
}).ToList();
string Where(ulong address) => maps.FirstOrDefault(m => address >= m.Start && address < m.End).Name ?? "(unmapped)";
foreach (var (label, pick) in new (string, Func<(ulong Leaf, ulong Last), ulong>)[] { ("leaf", e => e.Leaf), ("last frame", e => e.Last) })
{
    var groups = shallowEnds.GroupBy(e => Where(pick(e))).OrderByDescending(g => g.Count()).Take(6);
    Console.WriteLine($"short stacks ({shallowEnds.Count}), {label} in: " + string.Join(", ", groups.Select(g => $"{g.Key} {100.0 * g.Count() / shallowEnds.Count:F0} %")));
}

// For samples whose leaf is in libc: where the next three frames are (a caller found by scanning past libc
// should be the runtime's native shims or JIT-compiled code, never libc again or unmapped memory).
var fromLibc = firstFrames.Where(f => Where(f[0]).StartsWith("libc.", StringComparison.Ordinal)).ToList();
for (int depth = 1; depth < 4; depth++)
{
    var groups = fromLibc.GroupBy(f => Where(f[depth])).OrderByDescending(g => g.Count()).Take(5);
    Console.WriteLine($"leaf in libc ({fromLibc.Count}), frame {depth} in: " + string.Join(", ", groups.Select(g => $"{g.Key} {100.0 * g.Count() / Math.Max(1, fromLibc.Count):F0} %")));
}
return 0;

static class Workload
{
    private static object? keep;

    public static void Run(ref long counter, ref bool stop)
    {
        while (!Volatile.Read(ref stop))
        {
            Nested(20_000);
            Interlocked.Increment(ref counter);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Nested(int n) => Level1(n) + 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Level1(int n) => Level2(n) ^ 3;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Level2(int n)
    {
        int x = 0;
        for (int i = 0; i < n; i++)
        {
            x = unchecked((x * 31) + i);
            if ((i & 4095) == 0)
            {
                keep = new byte[64 + (i & 255)];
            }
        }

        return x;
    }
}

static partial class Native
{
    [LibraryImport("nativesampler")]
    internal static partial int native_sampler_init(int ringBits);

    [LibraryImport("nativesampler")]
    internal static partial long native_sampler_arm(int tid, long periodNanos);

    [LibraryImport("nativesampler")]
    internal static partial void native_sampler_disarm(long timer);

    [LibraryImport("nativesampler")]
    internal static partial int native_sampler_drain(long[] into, int capacity);

    [LibraryImport("nativesampler")]
    internal static partial ulong native_sampler_lost();

    [LibraryImport("nativesampler")]
    internal static partial ulong native_sampler_chunk_reads();

    [LibraryImport("nativesampler")]
    internal static partial ulong native_sampler_scanned();
}
