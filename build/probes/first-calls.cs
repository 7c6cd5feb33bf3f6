// When a process called methods for the first time, read from a trace of the runtime's JIT and ReadyToRun
// entry-point events: each first call of a method that tiered compilation counts (compiled at tier 0, or its
// ReadyToRun code looked up) starts or extends the runtime's tiering delay, during which no method is promoted to
// optimized code (100 ms, 1 s in a process that sees one processor).
//
//   dotnet-trace collect -p <pid> --providers Microsoft-Windows-DotNETRuntime:0x2000000010:5 --duration 00:00:01:00 -o app.nettrace
//   dotnet run build/probes/first-calls.cs -- app.nettrace [seconds per bucket=10] [top=25]
//
// Prints first calls per bucket of the trace (tier-0 compiles and ReadyToRun lookups), how much of the trace
// had a first call less than 1 s before (the share of time a one-processor process's tiering delay was held
// open by them), and the namespaces and methods called first most often.
#:package Microsoft.Diagnostics.Tracing.TraceEvent
#:property PublishAot=false
using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length < 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: dotnet run build/probes/first-calls.cs -- <trace.nettrace> [seconds per bucket] [top]");
    return 1;
}

double bucketSeconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
int top = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 25;
var firstCalls = new List<(double Seconds, string Kind, string Namespace, string Name)>();
double end = 0;
using (var source = new EventPipeEventSource(args[0]))
{
    var clr = new ClrTraceEventParser(source);
    clr.MethodLoadVerbose += e =>
    {
        if (e.IsJitted && !e.IsDynamic && e.OptimizationTier is OptimizationTier.QuickJitted or OptimizationTier.MinOptJitted)
        {
            firstCalls.Add((e.TimeStampRelativeMSec / 1000, "tier0", e.MethodNamespace, e.MethodName));
        }
    };
    clr.MethodR2RGetEntryPoint += e => firstCalls.Add((e.TimeStampRelativeMSec / 1000, "r2r", e.MethodNamespace, e.MethodName));
    source.AllEvents += e => end = Math.Max(end, e.TimeStampRelativeMSec / 1000);
    source.Process();
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{args[0]}: {end:F1} s, {firstCalls.Count:N0} first calls ({firstCalls.Count(c => c.Kind == "tier0"):N0} tier-0 compiles, {firstCalls.Count(c => c.Kind == "r2r"):N0} ReadyToRun lookups)"));
for (double start = 0; start < end; start += bucketSeconds)
{
    int count = firstCalls.Count(c => c.Seconds >= start && c.Seconds < start + bucketSeconds);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {start,6:F0}-{start + bucketSeconds,-6:F0} s  {count,6} first calls"));
}

// The time within 1 s after some first call: a one-processor process's tiering delay is held open then.
double held = 0;
double heldUntil = 0;
foreach (double time in firstCalls.Select(c => c.Seconds).Order())
{
    held += Math.Max(0, Math.Min(time + 1, end) - Math.Max(time, heldUntil));
    heldUntil = Math.Max(heldUntil, time + 1);
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  time within 1 s after a first call: {held:F1} s of {end:F1} s ({(end > 0 ? 100 * held / end : 0):F0} %)"));
Console.WriteLine("  first calls by namespace:");
foreach (var group in firstCalls.GroupBy(c => c.Namespace).OrderByDescending(g => g.Count()).Take(top))
{
    string names = string.Join(", ", group.GroupBy(c => c.Name).OrderByDescending(n => n.Count()).Take(4).Select(n => n.Key));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {group.Count(),6}  {group.Key}  ({names})"));
}

return 0;
