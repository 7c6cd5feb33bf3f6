using System.Diagnostics;
using System.Globalization;
using OpenTelemetry.Profiling.Receiver;

namespace OverheadHarness;

/// <summary>
/// The twin comparison (<c>--twin</c>): for every block, two new copies of this harness, twins a and b, each with
/// its own showcase, clients and receiver, run at the same time and share both cores; one is profiled from its
/// start and the other never is, and they swap from one block to the next. On these VMs the machine's speed moves
/// +-20 % from one second to the next and drifts by tens of percent over minutes; both twins' threads move over
/// both cores and see the same speed, so the ratio of their throughputs (and of their CPU per request) in the
/// same seconds cancels it, and each pair of blocks (a profiled, then b) cancels what differs between the twins.
/// New processes every block, because a process that was once profiled is not a clean baseline: the execution
/// contexts of its long-lived flows (pooled connections) keep the span tracker's change-notifying async local.
/// The profiled twin sends its profiles to a collector in this process, not to one inside itself: receiving and
/// parsing them is a collector's cost, and a receiver keeping every parsed request in the app's own heap made
/// the app's GC do work no user's app does.
/// What the twins share is charged back to the profiled one: the CPU of the profiler's threads (and the runtime's
/// EventPipe threads) comes out of both twins' time, so the ratio is lowered by that CPU's share of the machine,
/// as one process that owned the machine would lose it.
/// <para>
/// Left to the scheduler, the twins' shares of the cores differed by up to 12 % in a block, and CPU per request
/// moved with the share. With <c>--twin-pin</c> each twin has exactly one core, swapping every few seconds so both
/// see both cores' speeds; nothing is shared, so nothing is charged. <c>--twin-baseline</c> gives the other twin a
/// set-up too, to compare two set-ups directly.
/// </para>
/// </summary>
internal static class TwinRun
{
    private const string BlockLinePrefix = "twin-block ";

    // Time for the twins to start their showcase and clients before their block (its settling) starts.
    private static readonly TimeSpan StartUp = TimeSpan.FromSeconds(10);

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly object ConsoleLock = new();

    private static readonly string[] Roles = ["a", "b"];

    // How long pinned twins stay on a core before they swap (--twin-pin).
    private static readonly TimeSpan CoreSwap = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The <see cref="Stopwatch"/> timestamp, in this process, at which the block's measured stretch starts: the
    /// block's start (its settling first) plus --profiler-settle, the same seconds for both twins.
    /// </summary>
    public static long MeasuredStart(HarnessOptions options)
    {
        double fromNow = (options.TwinStartUnixMilliseconds - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) / 1000.0;
        return Stopwatch.GetTimestamp() + (long)((fromNow + options.ProfilerSettle.TotalSeconds) * Stopwatch.Frequency);
    }

    /// <summary>The line a twin writes for its block, for the run to read.</summary>
    public static string FormatBlock(BlockResult result) => string.Create(
        Invariant,
        $"{BlockLinePrefix}{result.Mode} {result.Requests} {result.Seconds:R} {result.P50Milliseconds:R} {result.P99Milliseconds:R} {result.CpuSeconds:R} {result.UserCpuSeconds:R} {result.RssMegabytes:R} {result.ProfilerThreadCpuSeconds:R} {result.EventPipeThreadCpuSeconds:R} {result.AllocatedBytes} {result.Collections} {result.GcPauseSeconds:R}");

    /// <summary>Runs the pairs of twins, prints their blocks as they end and then the paired ratios; returns the exit code.</summary>
    public static async Task<int> RunAsync(HarnessOptions options, IReadOnlyList<string> args)
    {
        int blocks = 2 * options.Rounds;
        double blockSeconds = (StartUp + options.ProfilerSettle + options.Block).TotalSeconds + 3;
        if (options.TwinPin && Environment.ProcessorCount < 2)
        {
            Console.Error.WriteLine($"--twin-pin needs two cores, one per twin; this process sees {Environment.ProcessorCount}.");
            return 2;
        }

        if (options.TwinPin && !TasksetRuns())
        {
            Console.Error.WriteLine("--twin-pin pins the twins with taskset (util-linux), which did not run here.");
            return 2;
        }

        string placement = options.TwinPin ? $"each pinned to a core of its own, swapping cores every {CoreSwap.TotalSeconds:F0} s" : $"at once on {Environment.ProcessorCount} cores";
        Console.WriteLine(string.Create(Invariant, $"overhead harness, twins: 2 new processes for every block, {placement}, each {(options.CpuWorkload ? "with the cpu workload" : $"with {options.Clients} closed-loop clients, {(options.ShowcaseMix ? "the showcase's mix" : "work mix")}")}; {options.Rounds} rounds of 2 blocks (a with the '{options.TwinModeName}' set-up and b with '{options.TwinBaselineName}', then the other way round) of {options.Block.TotalSeconds:F0} s after {StartUp.TotalSeconds:F0} s start-up and {options.ProfilerSettle.TotalSeconds:F0} s settling (about {blocks * blockSeconds / 60:F1} min)"));
        Console.WriteLine("  round  twin  mode         req/s   p50 ms   p99 ms   cpu s  cpu us/req   rss MB  profiler cpu s  alloc B/req  GCs");

        // The profiled twin sends its profiles to this process, as an app sends them to a collector elsewhere:
        // receiving them (HTTP/2, parsing, keeping every request) is the collector's cost, not the profiler's.
        await using var collector = await LocalOtlpReceiver.StartAsync();
        string[] twinArgs = [.. TwinArguments(args), "--twin-collector", collector.GrpcEndpoint.ToString()];
        var a = new List<BlockResult>();
        var b = new List<BlockResult>();
        for (int block = 0; block < blocks; block++)
        {
            string profiled = Roles[block % 2];
            long start = DateTimeOffset.UtcNow.Add(StartUp).ToUnixTimeMilliseconds();
            var results = new BlockResult?[2];
            var twins = new List<Process>();
            ConsoleCancelEventHandler stop = (_, _) => KillAll(twins);
            Console.CancelKeyPress += stop;
            try
            {
                for (int twin = 0; twin < 2; twin++)
                {
                    int index = twin;
                    bool isProfiled = Roles[twin] == profiled;
                    string? build = isProfiled ? null : options.TwinBaselineBuild;
                    twins.Add(StartTwin(Roles[twin], isProfiled, build, options.TwinPin ? twin : null, twinArgs, start, result =>
                    {
                        results[index] = result;
                        PrintBlock((block / 2) + 1, Roles[index], result);
                    }));
                }

                using var swapping = new CancellationTokenSource();
                var swapper = options.TwinPin ? SwapCoresAsync(twins, swapping.Token) : Task.CompletedTask;
                await Task.WhenAll(twins.Select(twin => twin.WaitForExitAsync()));
                await swapping.CancelAsync();
                await swapper;
            }
            finally
            {
                Console.CancelKeyPress -= stop;
                KillAll(twins);
            }

            for (int twin = 0; twin < 2; twin++)
            {
                if (twins[twin].ExitCode != 0 || results[twin] is null)
                {
                    Console.Error.WriteLine($"twin {Roles[twin]} exited with code {twins[twin].ExitCode}{(results[twin] is null ? " without reporting its block" : string.Empty)}.");
                    return 1;
                }
            }

            a.Add(results[0]!);
            b.Add(results[1]!);
        }

        double ratio = PrintSummary(options, a, b);
        var violations = collector.ValidateProfiles();
        Console.WriteLine(string.Create(Invariant, $"{"profile requests received",-40}{collector.ProfileRequestCount}{(violations.Count > 0 ? $", {violations.Count} invalid, first: {violations[0]}" : ", all valid")}"));
        Console.WriteLine(string.Create(Invariant, $"overhead_ratio={ratio:F4}"));
        return 0;
    }

    /// <summary>The parent's arguments a twin gets: without the parent's own switches (the other build's harness may not know them).</summary>
    private static IEnumerable<string> TwinArguments(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] is "--twin-baseline-build")
            {
                i++;
            }
            else if (args[i] is not "--twin" and not "--twin-pin")
            {
                yield return args[i];
            }
        }
    }

    /// <summary>Starts one twin; <paramref name="build"/> is the directory of the other harness build it runs, or null for this one.</summary>
    private static Process StartTwin(string role, bool profiled, string? build, int? core, IReadOnlyList<string> args, long start, Action<BlockResult> onBlock)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        bool viaDotnet = Path.GetFileNameWithoutExtension(host) == "dotnet";
        if (build is not null && !viaDotnet)
        {
            host = Path.Combine(build, Path.GetFileName(host));
        }

        var info = new ProcessStartInfo(core is null ? host : "taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Pinned from its first instruction, so the runtime sizes itself (processor count, GC, thread pool) for
        // the one core it has, as in a one-CPU container.
        if (core is not null)
        {
            info.ArgumentList.Add("--cpu-list");
            info.ArgumentList.Add(core.Value.ToString(Invariant));
            info.ArgumentList.Add(host);
        }

        // Run as "dotnet OverheadHarness.dll" (the script) or as the apphost.
        if (viaDotnet)
        {
            info.ArgumentList.Add(build is null ? typeof(TwinRun).Assembly.Location : Path.Combine(build, "OverheadHarness.dll"));
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--twin-child");
        info.ArgumentList.Add(role);
        info.ArgumentList.Add("--twin-start");
        info.ArgumentList.Add(start.ToString(Invariant));
        if (profiled)
        {
            info.ArgumentList.Add("--twin-profiled");
        }

        var twin = new Process { StartInfo = info };
        twin.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (TryParseBlock(e.Data, out var result))
            {
                onBlock(result);
                return;
            }

            lock (ConsoleLock)
            {
                Console.WriteLine($"[{role}] {e.Data}");
            }
        };
        twin.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (ConsoleLock)
                {
                    Console.Error.WriteLine($"[{role}] {e.Data}");
                }
            }
        };
        twin.Start();
        twin.BeginOutputReadLine();
        twin.BeginErrorReadLine();
        return twin;
    }

    /// <summary>
    /// Swaps the pinned twins' cores every <see cref="CoreSwap"/>: each core's speed moves on its own (by up to
    /// 10 % over a minute on these VMs), so a twin kept on one core measures its core as much as the profiler.
    /// Swapping often, each twin runs on both cores for equal time in every block, and still has exactly one.
    /// </summary>
    private static async Task SwapCoresAsync(List<Process> twins, CancellationToken cancel)
    {
        try
        {
            for (int phase = 1; ; phase ^= 1)
            {
                await Task.Delay(CoreSwap, cancel);
                for (int twin = 0; twin < twins.Count; twin++)
                {
                    await PinAsync(twins[twin], twin ^ phase);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The block ended.
        }
    }

    // Every thread of the twin (--all-tasks); threads it starts later inherit their creator's core. taskset
    // stops at a thread that ended between its listing the threads and pinning them ("No such process"), so a
    // failed attempt is repeated: only a twin that keeps failing to pin, while alive, ends the run.
    private static async Task PinAsync(Process twin, int core)
    {
        string error = string.Empty;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            (int exitCode, error) = await TasksetAsync("--all-tasks", "--pid", "--cpu-list", core.ToString(Invariant), twin.Id.ToString(Invariant));
            if (exitCode == 0 || twin.HasExited)
            {
                return;
            }
        }

        throw new InvalidOperationException($"taskset could not pin twin {twin.Id} to CPU {core}: {error.Trim()}");
    }

    private static bool TasksetRuns()
    {
        try
        {
            return TasksetAsync("--version").GetAwaiter().GetResult().ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Runs taskset to its end; returns its exit code and what it wrote to standard error.</summary>
    private static async Task<(int ExitCode, string Error)> TasksetAsync(params string[] args)
    {
        var info = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var taskset = Process.Start(info)!;
        var error = taskset.StandardError.ReadToEndAsync();
        await taskset.StandardOutput.ReadToEndAsync();
        await taskset.WaitForExitAsync();
        return (taskset.ExitCode, await error);
    }

    private static void KillAll(List<Process> twins)
    {
        foreach (var twin in twins)
        {
            try
            {
                if (!twin.HasExited)
                {
                    twin.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }
        }
    }

    private static bool TryParseBlock(string line, out BlockResult result)
    {
        result = null!;
        if (!line.StartsWith(BlockLinePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        string[] f = line[BlockLinePrefix.Length..].Split(' ');
        if (f.Length != 13 || !Enum.TryParse(f[0], out BlockMode mode))
        {
            return false;
        }

        double D(int index) => double.Parse(f[index], NumberStyles.Float, Invariant);
        result = new BlockResult(mode, long.Parse(f[1], NumberStyles.None, Invariant), D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9), Profiler: null, PeerTraceBytes: 0, PeerSeconds: 0, long.Parse(f[10], NumberStyles.None, Invariant), int.Parse(f[11], NumberStyles.None, Invariant), D(12));
        return true;
    }

    private static void PrintBlock(int round, string role, BlockResult result)
    {
        lock (ConsoleLock)
        {
            Console.WriteLine(string.Create(Invariant, $"{round,7}  {role,4}  {result.Mode,-10}  {result.Throughput,9:F0}  {result.P50Milliseconds,7:F3}  {result.P99Milliseconds,7:F3}  {result.CpuSeconds,6:F2}  {result.CpuPerRequestMicroseconds,10:F1}  {result.RssMegabytes,7:F1}  {result.ProfilerThreadCpuSeconds + result.EventPipeThreadCpuSeconds,14:F2}  {result.AllocatedBytesPerRequest,11:F0}  {result.Collections,3}"));
        }
    }

    /// <summary>Prints the paired ratios; returns the throughput ratio, with the shared CPU charged to the profiled twin unless the twins are pinned.</summary>
    private static double PrintSummary(HarnessOptions options, List<BlockResult> a, List<BlockResult> b)
    {
        // Round r: block 2r has a profiled and b not, block 2r + 1 the other way round. The geometric mean of
        // the two blocks' on/off ratios cancels a constant difference between the twins.
        var rounds = Enumerable.Range(0, options.Rounds).Select(round => (OnFirst: a[2 * round], OffFirst: b[2 * round], OnSecond: b[(2 * round) + 1], OffSecond: a[(2 * round) + 1])).ToList();
        List<double> Paired(Func<BlockResult, double> measure) =>
            [.. rounds.Select(r => Math.Sqrt(measure(r.OnFirst) / measure(r.OffFirst) * (measure(r.OnSecond) / measure(r.OffSecond))))];

        // The profiler's and EventPipe's threads ran on the machine both twins share: their CPU, as a share of
        // the machine, is what a process that owned the machine would lose to them.
        // Pinned, each twin has its own core and the profiler's threads run on the profiled twin's: nothing is
        // shared, and the throughput ratio is already the estimate.
        int cores = options.TwinPin ? 1 : Environment.ProcessorCount;
        double SharedCpu(BlockResult on) => (on.ProfilerThreadCpuSeconds + on.EventPipeThreadCpuSeconds) / (on.Seconds * cores);
        var throughput = Paired(block => block.Throughput);
        var shares = rounds.Select(r => (SharedCpu(r.OnFirst) + SharedCpu(r.OnSecond)) / 2).ToList();
        var baselineShares = rounds.Select(r => (SharedCpu(r.OffFirst) + SharedCpu(r.OffSecond)) / 2).ToList();
        var charged = options.TwinPin ? throughput : [.. throughput.Select((ratio, i) => ratio * (1 - shares[i]) / (1 - baselineShares[i]))];
        var twinDifference = rounds.Select(r => Math.Sqrt(r.OnFirst.Throughput / r.OffFirst.Throughput / (r.OnSecond.Throughput / r.OffSecond.Throughput))).ToList();
        var offThroughput = rounds.SelectMany(r => new[] { r.OffFirst.Throughput, r.OffSecond.Throughput }).ToList();

        Console.WriteLine();
        Console.WriteLine(string.Create(Invariant, $"twin ratios over {rounds.Count} rounds ('{options.TwinModeName}' twin / '{options.TwinBaselineName}' twin in the same seconds, geometric mean of each round's two blocks; mean +- standard error over rounds)"));
        Console.WriteLine(string.Create(Invariant, $"{"throughput ratio",-40}{OverheadReport.Format(throughput)}"));
        Console.WriteLine(string.Create(Invariant, $"{"profiler and EventPipe threads' share",-40}{OverheadReport.Format(shares)}        (of the {(options.TwinPin ? "twin's core" : "machine's CPU")}, in the '{options.TwinModeName}' twin's blocks; {baselineShares.Average():P2} in the '{options.TwinBaselineName}' twin's)"));
        if (!options.TwinPin)
        {
            Console.WriteLine(string.Create(Invariant, $"{"throughput ratio, shared cpu charged",-40}{OverheadReport.Format(charged)}        (throughput ratio x (1 - that share) / (1 - the other twin's): the estimate for one process on the machine)"));
        }

        Console.WriteLine(string.Create(Invariant, $"{"p50 latency ratio",-40}{OverheadReport.Format(Paired(block => block.P50Milliseconds))}"));
        Console.WriteLine(string.Create(Invariant, $"{"p99 latency ratio",-40}{OverheadReport.Format(Paired(block => block.P99Milliseconds))}"));
        Console.WriteLine(string.Create(Invariant, $"{"cpu time ratio",-40}{OverheadReport.Format(Paired(block => block.CpuSeconds))}"));
        Console.WriteLine(string.Create(Invariant, $"{"cpu time per request ratio",-40}{OverheadReport.Format(Paired(block => block.CpuPerRequestMicroseconds))}"));
        Console.WriteLine(string.Create(Invariant, $"{"allocated bytes per request ratio",-40}{OverheadReport.Format(Paired(block => block.AllocatedBytesPerRequest))}        ('{options.TwinModeName}' {rounds.Average(r => (r.OnFirst.AllocatedBytesPerRequest + r.OnSecond.AllocatedBytesPerRequest) / 2):F0} B, '{options.TwinBaselineName}' {rounds.Average(r => (r.OffFirst.AllocatedBytesPerRequest + r.OffSecond.AllocatedBytesPerRequest) / 2):F0} B per request)"));
        Console.WriteLine(string.Create(Invariant, $"{"collections per request ratio",-40}{OverheadReport.Format(Paired(block => (block.Collections + 0.5) / block.Requests))}"));
        Console.WriteLine(string.Create(Invariant, $"{"gc pause share",-40}{rounds.Average(r => (r.OnFirst.GcPauseSeconds / r.OnFirst.Seconds) + (r.OnSecond.GcPauseSeconds / r.OnSecond.Seconds)) / 2:P2} '{options.TwinModeName}', {rounds.Average(r => (r.OffFirst.GcPauseSeconds / r.OffFirst.Seconds) + (r.OffSecond.GcPauseSeconds / r.OffSecond.Seconds)) / 2:P2} '{options.TwinBaselineName}' (of wall time)"));
        Console.WriteLine(string.Create(Invariant, $"{"rss difference (MB)",-40}{OverheadReport.Format([.. rounds.Select(r => ((r.OnFirst.RssMegabytes - r.OffFirst.RssMegabytes) + (r.OnSecond.RssMegabytes - r.OffSecond.RssMegabytes)) / 2)])}"));
        Console.WriteLine(string.Create(Invariant, $"{"twins' own difference (a/b)",-40}{OverheadReport.Format(twinDifference)}        (cancelled by the pairing)"));
        Console.WriteLine(string.Create(Invariant, $"{$"'{options.TwinBaselineName}' twin's req/s",-40}{offThroughput.Min(),9:F0} to {offThroughput.Max():F0}        (the machine's drift, which the ratios cancel)"));
        return charged.Average();
    }
}
