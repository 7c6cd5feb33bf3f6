// Overhead harness: the RateLimiterSync showcase under closed-loop load, with profiling off, on (default set-up)
// and with dotnet-trace attached, in alternating blocks inside this one process. See build/overhead.sh.
using System.Diagnostics;
using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Profiling.Testing;
using OpenTelemetry.Trace;
using OverheadHarness;
using RateLimiterSync;

HarnessOptions options;
try
{
    options = HarnessOptions.Parse(args);
}
catch (FormatException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(HarnessOptions.Usage);
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(HarnessOptions.Usage);
    return 0;
}

if (options.Twin && options.TwinRole is null)
{
    return await TwinRun.RunAsync(options, args);
}

foreach (var variable in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(name => name.StartsWith("OTEL_DOTNET_PROFILING_", StringComparison.Ordinal) || name == "DOTNET_EventPipeThreadSamplingRate"))
{
    Console.Error.WriteLine($"warning: {variable} is set; the 'on' blocks do not measure the default set-up.");
}

await using var receiver = await LocalOtlpReceiver.StartAsync();
using var telemetry = new RateLimiterTelemetry();

var latencies = new LatencyRecorder(4_000_000);
Microsoft.AspNetCore.Builder.WebApplication? app = null;
IWorkload load;
if (options.CpuWorkload)
{
    load = new CpuLoad(Environment.ProcessorCount, options.IdleThreads, latencies);
}
else
{
    var showcaseOptions = ExampleOptions.Parse([]);
    app = RateLimiterService.Build(showcaseOptions, telemetry);
    await app.StartAsync();
    load = new ClosedLoopLoad(RateLimiterService.BaseAddress(app), options.Clients, options.ShowcaseMix ? null : showcaseOptions.KeyCount, latencies);
}

using var stopLoad = new CancellationTokenSource();
var loadTask = load.RunAsync(stopLoad.Token);
using var windowCost = new WindowCostMeter();
windowCost.Start(() => load.Completed);

var rounds = new List<IReadOnlyDictionary<BlockMode, BlockResult>>();
var stretches = new List<StudyStretch>();
if (options.StudyVariants.Count > 0)
{
    double studyMinutes = ((options.ProfilerSettle + options.StudyStretch).TotalSeconds * ((options.Rounds * options.StudyVariants.Count) + 1)) / 60;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"window study: {Environment.ProcessorCount} cores, {(options.CpuWorkload ? "cpu workload" : $"{options.Clients} closed-loop clients, {(options.ShowcaseMix ? "the showcase's mix" : "work mix")}")}, profiler on with set-ups (target rate[@window s]) {string.Join(", ", options.StudyVariants.Select(variant => variant.Label))}: 1 warm-up stretch + {options.Rounds} rounds of one {options.StudyStretch.TotalSeconds:F0} s stretch per set-up, each {options.ProfilerSettle.TotalSeconds:F0} s after its profiler starts (about {studyMinutes:F1} min)"));
    await RunStretchAsync(options.StudyVariants[0], measured: false);
    for (int round = 1; round <= options.Rounds; round++)
    {
        var order = round % 2 == 1 ? options.StudyVariants : options.StudyVariants.Reverse().ToArray();
        foreach (var variant in order)
        {
            var stretch = await RunStretchAsync(variant, measured: true);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round,3}  set-up {variant.Label,7}  {stretch.Throughput,9:F0} req/s  {stretch.Samples / stretch.UserCpuSeconds,6:F1} samples per user-mode cpu-s"));
            stretches.Add(stretch);
        }
    }
}
else if (options.TwinRole is { } role)
{
    // One twin of a --twin run: one block at the time the run set, one line for the run to read.
    // Beside the block's line, for the reader: how the garbage collector's work differs (the profiled twins
    // doubled their GC pauses), by generation, counted from the twin's start, and the heap after the last collection.
    int gen1Before = GC.CollectionCount(1), gen2Before = GC.CollectionCount(2);
    long measuredStart = TwinRun.MeasuredStart(options);

    // And how much the JIT compiled during the measured stretch (the profiled twins compiled thousands of methods more).
    (long Methods, TimeSpan Time) jitAtMeasuredStart = default;
    var untilMeasured = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measuredStart);
    var jitReading = Task.Delay(untilMeasured > TimeSpan.Zero ? untilMeasured : TimeSpan.Zero)
        .ContinueWith(_ => jitAtMeasuredStart = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime()), TaskScheduler.Default);
    var result = await RunBlockAsync(options.TwinProfiled ? options.TwinMode : options.TwinBaseline, measured: false, measuredStart);
    await jitReading;
    var ephemeral = GC.GetGCMemoryInfo(GCKind.Ephemeral);
    var heap = GC.GetGCMemoryInfo(GCKind.Any);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gc {result.Mode}: gen1 {GC.CollectionCount(1) - gen1Before} gen2 {GC.CollectionCount(2) - gen2Before}, last ephemeral gc{ephemeral.Generation} promoted {ephemeral.PromotedBytes / 1024} KB pause {ephemeral.PauseDurations[0].TotalMilliseconds:F2} ms, sizes after last gc (KB) {string.Join(" ", heap.GenerationInfo.ToArray().Select(g => g.SizeAfterBytes / 1024))}, heap {heap.HeapSizeBytes / 1048576} MB, pinned {heap.PinnedObjectsCount}, concurrent {heap.Concurrent}"));
    long jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
    var jitTime = System.Runtime.JitInfo.GetCompilationTime();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"jit {result.Mode}: {jitMethods:N0} methods compiled since start, {jitTime.TotalMilliseconds:F0} ms compiling; in the measured stretch {jitMethods - jitAtMeasuredStart.Methods:N0} methods, {(jitTime - jitAtMeasuredStart.Time).TotalMilliseconds:F0} ms"));
    Console.WriteLine(TwinRun.FormatBlock(result));
}
else
{
    BlockMode[] forward = [BlockMode.Off, BlockMode.On, .. options.Peer ? [BlockMode.Peer] : Array.Empty<BlockMode>(), .. options.CollectorDown ? [BlockMode.Down] : Array.Empty<BlockMode>(), .. options.NoSamplingBlocks ? [BlockMode.NoSampling] : Array.Empty<BlockMode>()];
    double cycleSeconds = forward.Sum(mode => (options.SettleBefore(mode) + options.Block).TotalSeconds);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overhead harness: {Environment.ProcessorCount} cores, {(options.CpuWorkload ? $"cpu workload ({Environment.ProcessorCount} busy threads, {options.IdleThreads} idle; 'req/s' = work units/s)" : $"{options.Clients} closed-loop clients, {(options.ShowcaseMix ? "the showcase's mix" : "work mix")}")}, 1 warm-up + {options.Rounds} rounds of ({string.Join(", ", forward).ToLowerInvariant()}) blocks of {options.Block.TotalSeconds:F0} s after {options.Settle.TotalSeconds:F0} s settling ({options.ProfilerSettle.TotalSeconds:F0} s after the profiler starts) (about {cycleSeconds * (options.Rounds + 1) / 60:F1} min)"));
    if (options.Peer)
    {
        Console.WriteLine($"peer: dotnet-trace collect {options.PeerArguments}");
    }

    OverheadReport.PrintHeader();
    for (int round = 0; round <= options.Rounds; round++)
    {
        // Odd rounds run the blocks in reverse order, so a steady drift of the machine does not favour one mode.
        var order = round % 2 == 0 ? forward : forward.Reverse().ToArray();
        var results = new Dictionary<BlockMode, BlockResult>();
        foreach (var mode in order)
        {
            var block = await RunBlockAsync(mode, measured: round > 0);
            OverheadReport.PrintBlock(round, block);
            results[mode] = block;
        }

        if (round > 0)
        {
            rounds.Add(results);
        }
    }
}

var windowLosses = await windowCost.StopAsync();
await stopLoad.CancelAsync();
await loadTask;
if (app is not null)
{
    await app.StopAsync();
    await app.DisposeAsync();
}
if (load.Failed > 0)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warning: {load.Failed} of {load.Completed} requests failed"));
}

var violations = receiver.ValidateProfiles();
if (violations.Count > 0)
{
    Console.WriteLine($"warning: {violations.Count} invalid profile request(s), first: {violations[0]}");
}

if (options.TwinRole is not null)
{
    return 0;
}

if (stretches.Count > 0)
{
    OverheadReport.PrintWindowStudy([.. options.StudyVariants.Select(variant => variant.Label)], stretches, windowLosses);
    return 0;
}

double ratio = OverheadReport.PrintSummary(rounds, options.Peer);
OverheadReport.PrintWindowCost([.. windowLosses.Select(window => window.Loss)]);
if (options.CollectorDown)
{
    OverheadReport.PrintCollectorDown(rounds);
}

if (options.NoSamplingBlocks)
{
    OverheadReport.PrintNoSampling(rounds);
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overhead_ratio={ratio:F4}"));
return 0;

// A block: settling, then the measured stretch. A twin's measured stretch starts at measuredStart (a Stopwatch
// timestamp, --profiler-settle after its block started) whatever its mode, so both twins measure the same seconds.
async Task<BlockResult> RunBlockAsync(BlockMode mode, bool measured, long? measuredStart = null)
{
    // The window-cost estimate judges the default set-up's windows in the measured rounds only.
    bool judgeWindows = mode == BlockMode.On && measured;
    if (judgeWindows)
    {
        // Before the profiler starts: it opens its first window at once.
        windowCost.ProfilerStarted();
    }

    ProfilingSetup? profiling = mode switch
    {
        BlockMode.On => new ProfilingSetup(receiver, options.TwinCollector),
        // A loopback port nothing listens on: connections are refused, as when the collector is down.
        BlockMode.Down => new ProfilingSetup(receiver, new Uri($"http://127.0.0.1:{ClosedPort.Next()}")),
        BlockMode.NoSampling => new ProfilingSetup(receiver, options.TwinCollector, noSampling: true),
        BlockMode.SpansOnly => new ProfilingSetup(receiver, options.TwinCollector, spansOnly: true),
        _ => null,
    };

    // Every block has the app's spans traced by exactly one SDK, as in the app: the profiling set-up's when
    // it runs, else one with tracing alone. (A second tracer provider beside the profiler's would put a cost
    // in the "on" blocks that no user pays.)
    using var tracingOnly = profiling is null ? ProfilingSetup.TracingOnly() : null;
    PeerTracer? peer = mode == BlockMode.Peer ? await PeerTracer.StartAsync(options.ToolDirectory, options.PeerArguments, options.Settle + options.Block + TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)) : null;
    var settle = measuredStart is null ? options.SettleBefore(mode) : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measuredStart.Value);
    if (settle > TimeSpan.Zero)
    {
        await Task.Delay(settle);
    }

    if (profiling is not null)
    {
        profiling.MeasuredSince = DateTimeOffset.UtcNow;
    }

    latencies.Reset();
    var threads = new ThreadCpuMeter();
    threads.Poll();
    long requestsBefore = load.Completed;
    var cpuBefore = Environment.CpuUsage;
    long allocatedBefore = GC.GetTotalAllocatedBytes();
    int collectionsBefore = GC.CollectionCount(0);
    var pauseBefore = GC.GetTotalPauseDuration();
    long start = Stopwatch.GetTimestamp();
    double rssSum = 0;
    int rssCount = 0;
    var end = (measuredStart ?? start) + (long)(options.Block.TotalSeconds * Stopwatch.Frequency);
    while (Stopwatch.GetTimestamp() < end)
    {
        // Polled often: a sampling window's threads live a few seconds and take their CPU figures with them.
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(0.25, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end).TotalSeconds)));
        threads.Poll();
        rssSum += Environment.WorkingSet / 1048576.0;
        rssCount++;
    }

    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    long requests = load.Completed - requestsBefore;
    var cpuAfter = Environment.CpuUsage;
    long allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
    int collections = GC.CollectionCount(0) - collectionsBefore;
    double gcPause = (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds;
    double cpu = (cpuAfter.TotalTime - cpuBefore.TotalTime).TotalSeconds;
    double userCpu = (cpuAfter.UserTime - cpuBefore.UserTime).TotalSeconds;
    var percentiles = latencies.Percentiles(50, 99);

    long peerBytes = 0;
    double peerSeconds = 0;
    if (peer is not null)
    {
        (peerBytes, peerSeconds) = await peer.WaitForExitAsync(TimeSpan.FromSeconds(60));
        peer.Dispose();
    }

    if (judgeWindows)
    {
        windowCost.ProfilerStopped();
    }

    profiling?.Dispose();
    return new BlockResult(mode, requests, seconds, percentiles[0], percentiles[1], cpu, userCpu, rssSum / Math.Max(1, rssCount), threads.CpuSeconds(ThreadCpuMeter.ProfilerThreads), threads.CpuSeconds(ThreadCpuMeter.EventPipeThreads), profiling?.Export, peerBytes, peerSeconds, allocated, collections, gcPause);
}

// One stretch of the window study: the profiler on with one set-up, measured after it settled.
async Task<StudyStretch> RunStretchAsync(StudyVariant variant, bool measured)
{
    string label = variant.Label;
    if (measured)
    {
        windowCost.ProfilerStarted();
    }

    var profiling = new ProfilingSetup(receiver, variant: variant);
    await Task.Delay(options.ProfilerSettle);
    profiling.MeasuredSince = DateTimeOffset.UtcNow;
    long requestsBefore = load.Completed;
    var cpuBefore = Environment.CpuUsage;
    long start = Stopwatch.GetTimestamp();
    await Task.Delay(options.StudyStretch);
    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    long requests = load.Completed - requestsBefore;
    double userCpu = (Environment.CpuUsage.UserTime - cpuBefore.UserTime).TotalSeconds;
    if (measured)
    {
        windowCost.ProfilerStopped(label);
    }

    profiling.Dispose();
    return new StudyStretch(label, requests / seconds, userCpu, profiling.Export.BlockSamples);
}
