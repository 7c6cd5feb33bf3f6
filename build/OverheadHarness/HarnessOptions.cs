using System.Globalization;

namespace OverheadHarness;

/// <summary>The harness's command line.</summary>
internal sealed class HarnessOptions
{
    public const string Usage = """
        Usage: OverheadHarness [options]

          --rounds <n>        Measured rounds; each runs one off, one on and one peer block. Default 6.
          --block <seconds>   Length of a measured block. Keep it a multiple of the profiler's sampling
                              cycle so each "on" block holds the same share of sampling windows as the steady
                              state: with the native CPU sampler (the default on Linux) the wall profile's one
                              window a minute; with the runtime's sampler, window / duty cycle (10 s by
                              default). Default 60.
          --settle <seconds>  Unmeasured time after switching modes (dotnet-trace attach). Default 2.
          --profiler-settle <seconds>
                              Unmeasured time after the profiler starts, before an "on" or "down" block: its
                              start-up (rundown, the windows at 0 and 5 s), which a long-running process pays
                              once. Default 15: with the native sampler the next wall window opens at 65 s,
                              inside a 60 s block; with the runtime's sampler (10 s cycles) windows and export
                              boundaries fall inside the block, not at its edges.
          --clients <n>       Closed-loop clients. Default 16.
          --mix <name>        The requests the clients send. work (default): every request within its key's
                              quota (the clients rotate over the 900 standard-tier keys), so each one does the
                              endpoint's work (key stretching, about 0.3 ms of CPU) and costs about the same.
                              showcase: the showcase's own mix, two greedy clients on a free-tier key and the
                              rest on 15 hot keys; about 99 % are refused with 429 after a few microseconds, and
                              what such a request costs moves +-20 % with the sockets' batching from one 5 s
                              reading to the next, so its blocks resolve less.
          --workload <name>   server (default): the showcase under closed-loop HTTP load. cpu: one busy thread
                              per core running fixed CPU work beside --idle-threads waiting threads, no spans and
                              no network: what sampling itself costs, most precisely in the cpu time ratio.
          --idle-threads <n>  Waiting managed threads in the cpu workload. Default 40.
          --no-peer           Skip the dotnet-trace blocks.
          --collector-down    Add "down" blocks: profiling on with its exporter pointed at a closed loopback
                              port (the collector is down: retries, queue, drops), compared with "on".
          --no-sampling-blocks
                              Add "no-sampling" blocks: profiling on as in "on", exporting every 10 s, with no
                              sampling window in the block (duty cycle 0.01: a 100 s cycle). "on" against it is
                              what the windows cost, wherever in the cycle they cost it.
          --peer-args <text>  What dotnet-trace collects. Default "--providers Microsoft-DotNETCore-SampleProfiler".
          --tool-dir <path>   Directory of the tool manifest that has dotnet-trace. Default: the current directory.
          --window-study <set-ups>
                              Instead of on/off blocks: keep the profiler on in stretches, one per set-up in each
                              round, and print the sampling windows' in-cycle cost and the samples per user-mode
                              CPU-second of each: the overhead/resolution curve, without the drift between
                              blocks. A set-up is a target rate (TargetSamplesPerCpuSecond), optionally with
                              @<seconds> for SamplingWindow (the cycle is ten times that), comma-separated:
                              60,50,30 or 60,60@2 (the same rate in a 10 s and a 20 s cycle).
          --study-stretch <seconds>
                              Length of each stretch of the window study, after --profiler-settle. Default 90.
          --twin              Instead of one process: two new copies of this harness (twins a and b) for every
                              block, each with its own showcase and clients, run at the same time on both
                              cores; one is profiled from its start and the other never is, and they swap every
                              block. The profiled twin exports to a collector in this process. The ratio of their throughputs and CPU per request in the same
                              seconds cancels the machine's drift, which moves both; pairs of blocks cancel the
                              twins' own difference. No peer and no warm-up blocks; each block is --block long
                              after --profiler-settle, for both twins.
          --twin-mode <name>  What the profiled twin runs: on (default), no-sampling (as --no-sampling-blocks)
                              or spans-only (no sampling, no wall profile, no exception events: span tracking,
                              the method session and export alone).
          --twin-baseline <name>
                              What the other twin runs: off (default), or a --twin-mode set-up, so that two
                              set-ups are compared directly (on against spans-only: what sampling adds).
          --twin-baseline-build <dir>
                              The other twin runs the harness built in <dir> (a copy of another commit's
                              build/OverheadHarness/bin/Release/net10.0), and so that build's profiler. With
                              --twin-baseline on the ratio is this build's profiler against that one's in the
                              same seconds: a regression hunt between two commits.
          --twin-pin          Pin each twin to a core of its own (with taskset), swapping cores every 5 s, so
                              both get exactly one core and both cores' speeds: the scheduler no longer splits
                              the cores unevenly between them, and the profiler's threads take their CPU from
                              the profiled twin's own core, so the plain throughput ratio is the overhead (each
                              twin sees one processor).
        A warm-up round (same blocks) runs first and is discarded.
        """;

    public int Rounds { get; private set; } = 6;

    public TimeSpan Block { get; private set; } = TimeSpan.FromSeconds(60);

    public TimeSpan Settle { get; private set; } = TimeSpan.FromSeconds(2);

    public TimeSpan ProfilerSettle { get; private set; } = TimeSpan.FromSeconds(15);

    public int Clients { get; private set; } = 16;

    /// <summary>Gets a value indicating whether the clients send the showcase's own mix (mostly 429s) instead of requests within quota.</summary>
    public bool ShowcaseMix { get; private set; }

    /// <summary>Gets or sets a value indicating whether "on" blocks export to a closed port (collector down).</summary>
    public bool CollectorDown { get; set; }

    /// <summary>Gets a value indicating whether the rounds add blocks with profiling on but no sampling window.</summary>
    public bool NoSamplingBlocks { get; private set; }

    public bool Peer { get; private set; } = true;

    public string PeerArguments { get; private set; } = "--providers Microsoft-DotNETCore-SampleProfiler";

    public string ToolDirectory { get; private set; } = Environment.CurrentDirectory;

    public bool ShowHelp { get; private set; }

    public bool CpuWorkload { get; private set; }

    public int IdleThreads { get; private set; } = 40;

    /// <summary>Gets the set-ups the window study compares; empty for the on/off comparison.</summary>
    public IReadOnlyList<StudyVariant> StudyVariants { get; private set; } = [];

    public TimeSpan StudyStretch { get; private set; } = TimeSpan.FromSeconds(90);

    /// <summary>Gets a value indicating whether this process runs the twins (<c>--twin</c>) instead of measuring itself.</summary>
    public bool Twin { get; private set; }

    /// <summary>Gets the twin this process is (a or b), when the twin run started it; null otherwise.</summary>
    public string? TwinRole { get; private set; }

    /// <summary>Gets a value indicating whether this twin is the profiled one of its pair.</summary>
    public bool TwinProfiled { get; private set; }

    /// <summary>Gets when the twins' block starts, in Unix milliseconds (the twin run passes it to both).</summary>
    public long TwinStartUnixMilliseconds { get; private set; }

    /// <summary>Gets where a twin sends its profiles: the twin run's collector, in the parent process (internal).</summary>
    public Uri? TwinCollector { get; private set; }

    /// <summary>Gets a value indicating whether each twin runs on a core of its own (<c>--twin-pin</c>).</summary>
    public bool TwinPin { get; private set; }

    /// <summary>Gets what the profiled twin runs in its blocks.</summary>
    public BlockMode TwinMode { get; private set; } = BlockMode.On;

    /// <summary>Gets what the other twin runs in its blocks (<c>--twin-baseline</c>): off unless set.</summary>
    public BlockMode TwinBaseline { get; private set; } = BlockMode.Off;

    /// <summary>Gets the <c>--twin-mode</c> name of <see cref="TwinMode"/>.</summary>
    public string TwinModeName => TwinModes.First(pair => pair.Value == this.TwinMode).Key;

    /// <summary>Gets the <c>--twin-baseline</c> name of <see cref="TwinBaseline"/>.</summary>
    public string TwinBaselineName => TwinModes.First(pair => pair.Value == this.TwinBaseline).Key + (this.TwinBaselineBuild is null ? string.Empty : " (baseline build)");

    /// <summary>Gets the directory of the other build the baseline twin runs (<c>--twin-baseline-build</c>), or null for this build.</summary>
    public string? TwinBaselineBuild { get; private set; }

    // The set-ups --twin-mode names, one table for parsing and printing.
    private static readonly Dictionary<string, BlockMode> TwinModes = new()
    {
        ["off"] = BlockMode.Off,
        ["on"] = BlockMode.On,
        ["no-sampling"] = BlockMode.NoSampling,
        ["spans-only"] = BlockMode.SpansOnly,
    };

    /// <summary>Gets the unmeasured time before a block: longer when a profiler has just started.</summary>
    public TimeSpan SettleBefore(BlockMode mode) => mode is not (BlockMode.Off or BlockMode.Peer) ? this.ProfilerSettle : this.Settle;

    public static HarnessOptions Parse(IReadOnlyList<string> args)
    {
        var options = new HarnessOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            switch (name)
            {
                case "--help" or "-h":
                    options.ShowHelp = true;
                    break;
                case "--no-peer":
                    options.Peer = false;
                    break;
                case "--collector-down":
                    options.CollectorDown = true;
                    break;
                case "--no-sampling-blocks":
                    options.NoSamplingBlocks = true;
                    break;
                case "--rounds":
                    options.Rounds = (int)Number(name, Value(args, ref i), 1, 100);
                    break;
                case "--block":
                    options.Block = TimeSpan.FromSeconds(Number(name, Value(args, ref i), 1, 3600));
                    break;
                case "--settle":
                    options.Settle = TimeSpan.FromSeconds(Number(name, Value(args, ref i), 0, 600));
                    break;
                case "--profiler-settle":
                    options.ProfilerSettle = TimeSpan.FromSeconds(Number(name, Value(args, ref i), 0, 600));
                    break;
                case "--workload":
                    options.CpuWorkload = Either(name, Value(args, ref i), whenFalse: "server", whenTrue: "cpu");
                    break;
                case "--mix":
                    options.ShowcaseMix = Either(name, Value(args, ref i), whenFalse: "work", whenTrue: "showcase");
                    break;
                case "--idle-threads":
                    options.IdleThreads = (int)Number(name, Value(args, ref i), 0, 1000);
                    break;
                case "--clients":
                    options.Clients = (int)Number(name, Value(args, ref i), 1, 1024);
                    break;
                case "--peer-args":
                    options.PeerArguments = Value(args, ref i);
                    break;
                case "--tool-dir":
                    options.ToolDirectory = Value(args, ref i);
                    break;
                case "--window-study":
                    string variants = Value(args, ref i);
                    options.StudyVariants = [.. variants.Split(',').Select(StudyVariant.Parse)];
                    if (options.StudyVariants.DistinctBy(variant => (variant.Target, variant.Window)).Count() != options.StudyVariants.Count)
                    {
                        throw new FormatException($"--window-study lists a set-up twice: '{variants}'.");
                    }

                    break;
                case "--twin":
                    options.Twin = true;
                    break;
                case "--twin-child":
                    options.TwinRole = Value(args, ref i) is "a" or "b" ? args[i] : throw new FormatException($"--twin-child must be 'a' or 'b', got '{args[i]}'.");
                    break;
                case "--twin-pin":
                    options.TwinPin = true;
                    break;
                case "--twin-profiled":
                    options.TwinProfiled = true;
                    break;
                case "--twin-collector":
                    options.TwinCollector = Uri.TryCreate(Value(args, ref i), UriKind.Absolute, out var collector) ? collector : throw new FormatException($"--twin-collector must be an absolute URI, got '{args[i]}'.");
                    break;
                case "--twin-start":
                    options.TwinStartUnixMilliseconds = (long)Number(name, Value(args, ref i), 0, long.MaxValue);
                    break;
                case "--twin-mode":
                    options.TwinMode = TwinModes.TryGetValue(Value(args, ref i), out var mode) && mode != BlockMode.Off
                        ? mode
                        : throw new FormatException($"--twin-mode must be on, no-sampling or spans-only, got '{args[i]}'.");
                    break;
                case "--twin-baseline":
                    options.TwinBaseline = TwinModes.TryGetValue(Value(args, ref i), out var baseline)
                        ? baseline
                        : throw new FormatException($"--twin-baseline must be off, on, no-sampling or spans-only, got '{args[i]}'.");
                    break;
                case "--twin-baseline-build":
                    options.TwinBaselineBuild = Path.GetFullPath(Value(args, ref i));
                    if (!File.Exists(Path.Combine(options.TwinBaselineBuild, "OverheadHarness.dll")))
                    {
                        throw new FormatException($"--twin-baseline-build needs a directory with the harness's build (OverheadHarness.dll); '{options.TwinBaselineBuild}' has none.");
                    }

                    break;
                case "--study-stretch":
                    options.StudyStretch = TimeSpan.FromSeconds(Number(name, Value(args, ref i), 30, 3600));
                    break;
                default:
                    throw new FormatException($"Unknown option {name}.");
            }
        }

        if ((options.Twin || options.TwinRole is not null) && (options.StudyVariants.Count > 0 || options.CollectorDown || options.NoSamplingBlocks))
        {
            throw new FormatException("--twin compares two set-ups of its own (--twin-mode, --twin-baseline): it cannot be combined with --window-study, --collector-down or --no-sampling-blocks.");
        }

        if (options.TwinBaselineBuild is not null && !options.Twin)
        {
            throw new FormatException("--twin-baseline-build is the build of --twin's baseline twin: it needs --twin.");
        }

        if (options.TwinBaseline == options.TwinMode && options.TwinBaselineBuild is null && options.TwinRole is null)
        {
            throw new FormatException($"--twin-baseline {options.TwinBaselineName} is the profiled twin's set-up too: there would be nothing to compare.");
        }

        if (options.TwinPin && !options.Twin)
        {
            throw new FormatException("--twin-pin pins the twins of --twin: it needs --twin.");
        }

        return options;
    }

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        i + 1 < args.Count ? args[++i] : throw new FormatException($"Option {args[i]} needs a value.");

    /// <summary>One of an option's two names: true for <paramref name="whenTrue"/>, false for <paramref name="whenFalse"/>.</summary>
    private static bool Either(string name, string value, string whenFalse, string whenTrue) =>
        value == whenTrue || (value == whenFalse
            ? false
            : throw new FormatException($"{name} must be '{whenFalse}' or '{whenTrue}', got '{value}'."));

    private static double Number(string name, string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double result) && result >= min && result <= max
            ? result
            : throw new FormatException($"{name} must be a number from {min} to {max}, got '{value}'.");
}
