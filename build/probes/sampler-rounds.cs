// How the runtime's sample profiler spends its rounds, read from a trace of it.
//
//   dotnet-trace collect -p <pid> --providers Microsoft-DotNETCore-SampleProfiler --duration 00:00:00:05 -o t.nettrace
//   dotnet run build/probes/sampler-rounds.cs -- t.nettrace
//
// With the runtime's GC events as well (--providers Microsoft-DotNETCore-SampleProfiler,Microsoft-Windows-DotNETRuntime:0x1:4)
// it also prints how long each suspension and each restart took (SuspendEE and RestartEE start to stop) and
// the share of the time the process was held from a suspension's start to its restart's start and end (threads
// resume during the restart): the sampler suspends the runtime the way a GC does, and these events time it.
//
// Taken beside our profiler with the runtime's GC events only (--providers Microsoft-Windows-DotNETRuntime:0x1:4,
// a 25 s trace holds 2-3 windows), it prints each of our sampling windows instead: its rounds (the sampler's
// suspensions, reason "other"), how long their suspensions and restarts took, and the share of the window the
// process was held.
//
// Each round, the runtime suspends every managed thread, walks each one's stack and writes one sample per
// thread back to back. A round starts with a thread the current round already has (as the profiler tells rounds);
// it also prints how many rounds a run of samples less than 0.2 ms apart would make (the rule the profiler used
// before: a round whose walk paused longer counted twice). Prints the threads walked per round,
// how long the walk took (first to last sample: the time the process stays suspended after the suspension
// itself), the time between round starts (the sampler sleeps about 1 ms between rounds, so what is above that
// is suspension, walk and restart) and, per thread, the mean time its sample took after the previous one,
// marking the profiler's own threads (started with a method of OpenTelemetry.Profiling).
#:package Microsoft.Diagnostics.Tracing.TraceEvent
#:property PublishAot=false
using System.Globalization;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length != 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: dotnet run build/probes/sampler-rounds.cs -- <trace.nettrace>");
    return 2;
}

const double RoundGapMilliseconds = 0.2;
int roundsByGap = 0;
var inRound = new HashSet<int>();
using var log = TraceLog.OpenOrConvert(TraceLog.CreateFromEventPipeDataFile(args[0]));
var rounds = new List<List<(double Time, int Thread)>>();
var profilerThreads = new HashSet<int>();
double last = double.NegativeInfinity;
foreach (var sample in log.Events.Where(e => e.ProviderName == "Microsoft-DotNETCore-SampleProfiler"))
{
    double time = sample.TimeStampRelativeMSec;
    roundsByGap += time - last > RoundGapMilliseconds ? 1 : 0;
    if (!inRound.Add(sample.ThreadID))
    {
        inRound.Clear();
        inRound.Add(sample.ThreadID);
        rounds.Add([]);
    }
    else if (rounds.Count == 0)
    {
        rounds.Add([]);
    }

    rounds[^1].Add((time, sample.ThreadID));
    last = time;
    // A thread is the profiler's when the method it was started with (its outermost frame outside
    // System.Threading) is: app threads also run profiler code, when they start and end spans.
    string? entry = null;
    for (var frame = sample.CallStack(); frame is not null; frame = frame.Caller)
    {
        string name = frame.CodeAddress.FullMethodName ?? string.Empty;
        if (name.Length > 0 && !name.StartsWith("System.Threading.", StringComparison.Ordinal))
        {
            entry = name;
        }
    }

    if (entry?.StartsWith("OpenTelemetry.Profiling", StringComparison.Ordinal) == true)
    {
        profilerThreads.Add(sample.ThreadID);
    }
}

// The sampler's own suspensions, grouped into windows: with our profiler on and a trace of the runtime's GC
// events only, these are our windows' rounds (the sampler suspends with the reason "other", GCs with their own).
var samplerHolds = new List<(double Start, double Suspended, double RestartStart, double RestartEnd)>();
double holdStart = double.NaN, holdSuspended = double.NaN, holdRestart = double.NaN;
bool holdBySampler = false;
foreach (var runtimeEvent in log.Events.Where(e => e.ProviderName == "Microsoft-Windows-DotNETRuntime"))
{
    double time = runtimeEvent.TimeStampRelativeMSec;
    switch (runtimeEvent)
    {
        case GCSuspendEETraceData suspend:
            (holdStart, holdSuspended, holdRestart) = (time, double.NaN, double.NaN);
            holdBySampler = suspend.Reason == GCSuspendEEReason.SuspendOther;
            break;
        case GCNoUserDataTraceData when runtimeEvent.EventName == "GC/SuspendEEStop":
            holdSuspended = time;
            break;
        case GCNoUserDataTraceData when runtimeEvent.EventName == "GC/RestartEEStart":
            holdRestart = time;
            break;
        case GCNoUserDataTraceData when runtimeEvent.EventName == "GC/RestartEEStop":
            if (holdBySampler && !double.IsNaN(holdStart) && !double.IsNaN(holdSuspended) && !double.IsNaN(holdRestart))
            {
                samplerHolds.Add((holdStart, holdSuspended, holdRestart, time));
            }

            (holdStart, holdSuspended, holdRestart) = (double.NaN, double.NaN, double.NaN);
            break;
    }
}

const double WindowGapMilliseconds = 1000;
var windows = new List<List<(double Start, double Suspended, double RestartStart, double RestartEnd)>>();
foreach (var hold in samplerHolds)
{
    if (windows.Count == 0 || hold.Start - windows[^1][^1].RestartEnd > WindowGapMilliseconds)
    {
        windows.Add([]);
    }

    windows[^1].Add(hold);
}

windows.RemoveAll(window => window.Count < 10);
if (windows.Count > 0)
{
    Console.WriteLine(Invariant($"the sampler's suspensions (reason 'other'), in {windows.Count} windows (runs of rounds less than {WindowGapMilliseconds:F0} ms apart):"));
    Console.WriteLine("  window  start s  length ms  rounds  suspension p50/p99 ms  restart p50/p99 ms  held to restart start / end");
    foreach (var (window, index) in windows.Select((window, index) => (window, index)))
    {
        double length = window[^1].RestartEnd - window[0].Start;
        var suspending = window.Select(hold => hold.Suspended - hold.Start).ToList();
        var restarting = window.Select(hold => hold.RestartEnd - hold.RestartStart).ToList();
        double toRestart = window.Sum(hold => hold.RestartStart - hold.Start) / length;
        double toEnd = window.Sum(hold => hold.RestartEnd - hold.Start) / length;
        Console.WriteLine(Invariant($"  {index + 1,6}  {window[0].Start / 1000,7:F1}  {length,9:F0}  {window.Count,6}  {Percentile(suspending, 50),10:F3} / {Percentile(suspending, 99),-9:F3}  {Percentile(restarting, 50),8:F3} / {Percentile(restarting, 99),-8:F3}  {toRestart,8:P1} / {toEnd:P1}"));
    }

    var all = windows.SelectMany(window => window).ToList();
    double windowTime = windows.Sum(window => window[^1].RestartEnd - window[0].Start);
    Console.WriteLine(Invariant($"  all     {all.Count} rounds in {windowTime / 1000:F2} s of windows: held {all.Sum(hold => hold.RestartStart - hold.Start) / windowTime:P1} to the restart's start, {all.Sum(hold => hold.RestartEnd - hold.Start) / windowTime:P1} to its end"));
}

if (rounds.Count < 10)
{
    if (windows.Count > 0)
    {
        return 0; // a trace of the runtime's events alone, taken beside our profiler: its windows are all there is
    }

    Console.Error.WriteLine($"only {rounds.Count} sampling rounds in {args[0]}: was the sample profiler on?");
    return 1;
}

var walks = rounds.Select(round => round[^1].Time - round[0].Time).ToList();
var gaps = rounds.Zip(rounds.Skip(1), (before, after) => after[0].Time - before[0].Time).ToList();
var perThread = rounds
    .SelectMany(round => round.Skip(1).Select((sample, i) => (sample.Thread, Microseconds: (sample.Time - round[i].Time) * 1000)))
    .GroupBy(sample => sample.Thread)
    .Select(thread => (Thread: thread.Key, Count: thread.Count(), Microseconds: thread.Average(sample => sample.Microseconds)))
    .OrderByDescending(thread => thread.Microseconds)
    .ToList();

Console.WriteLine(Invariant($"{rounds.Count} rounds over {(rounds[^1][0].Time - rounds[0][0].Time) / 1000:F1} s; threads walked per round: median {Percentile(rounds.Select(round => (double)round.Count).ToList(), 50):F0}"));
Console.WriteLine(Invariant($"runs of samples less than {RoundGapMilliseconds} ms apart: {roundsByGap} ({(double)roundsByGap / rounds.Count:F3} per round)"));
Console.WriteLine(Invariant($"walk (first to last sample of a round), ms:  p10 {Percentile(walks, 10):F3}  p50 {Percentile(walks, 50):F3}  p90 {Percentile(walks, 90):F3}"));
Console.WriteLine(Invariant($"between round starts, ms:                     p10 {Percentile(gaps, 10):F3}  p50 {Percentile(gaps, 50):F3}  p90 {Percentile(gaps, 90):F3}"));

// Suspensions and restarts, when the trace has the runtime's GC events; those of GCs are among them (few).
var suspensions = new List<double>();
var restarts = new List<double>();
var holds = new List<double>();
var heldUntilRestart = new List<double>();
double suspendStarted = double.NaN, restartStarted = double.NaN, heldSince = double.NaN;
foreach (var runtimeEvent in log.Events.Where(e => e.ProviderName == "Microsoft-Windows-DotNETRuntime"))
{
    double time = runtimeEvent.TimeStampRelativeMSec;
    switch (runtimeEvent.EventName)
    {
        case "GC/SuspendEEStart":
            suspendStarted = time;
            heldSince = time;
            break;
        case "GC/SuspendEEStop" when !double.IsNaN(suspendStarted):
            suspensions.Add(time - suspendStarted);
            suspendStarted = double.NaN;
            break;
        case "GC/RestartEEStart":
            restartStarted = time;
            if (!double.IsNaN(heldSince))
            {
                heldUntilRestart.Add(time - heldSince);
            }

            break;
        case "GC/RestartEEStop" when !double.IsNaN(restartStarted):
            restarts.Add(time - restartStarted);
            restartStarted = double.NaN;
            if (!double.IsNaN(heldSince))
            {
                holds.Add(time - heldSince);
                heldSince = double.NaN;
            }

            break;
    }
}

if (suspensions.Count > 0 && restarts.Count > 0)
{
    Console.WriteLine(Invariant($"suspension (SuspendEE start to stop), ms:     p10 {Percentile(suspensions, 10):F3}  p50 {Percentile(suspensions, 50):F3}  p90 {Percentile(suspensions, 90):F3}  p99 {Percentile(suspensions, 99):F3}  ({suspensions.Count})"));
    Console.WriteLine(Invariant($"restart (RestartEE start to stop), ms:        p10 {Percentile(restarts, 10):F3}  p50 {Percentile(restarts, 50):F3}  p90 {Percentile(restarts, 90):F3}  p99 {Percentile(restarts, 99):F3}  ({restarts.Count})"));
    double traced = rounds[^1][^1].Time - rounds[0][0].Time;
    // Threads resume during the restart, so the time held lies between these two.
    Console.WriteLine(Invariant($"held from a suspension's start to its restart's start: mean {heldUntilRestart.Average():F3} ms per round, {heldUntilRestart.Sum() / traced:P1} of the traced time"));
    Console.WriteLine(Invariant($"held from a suspension's start to its restart's end:   mean {holds.Average():F3} ms per round, {holds.Sum() / traced:P1} of the traced time (mean {gaps.Average():F3} ms between round starts)"));
}

double own = perThread.Where(thread => profilerThreads.Contains(thread.Thread)).Sum(thread => thread.Microseconds * thread.Count) / rounds.Count;
Console.WriteLine(Invariant($"the profiler's own threads: {profilerThreads.Count}, {own:F1} us of each round's walk"));
Console.WriteLine("  thread  samples  us after the previous sample");
foreach (var (thread, count, microseconds) in perThread)
{
    Console.WriteLine(Invariant($"{thread,8}  {count,7}  {microseconds,8:F1}{(profilerThreads.Contains(thread) ? "  (profiler)" : string.Empty)}"));
}

return 0;

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, sorted.Count * percentile / 100)];
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
