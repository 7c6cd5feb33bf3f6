// What a process compiled, and how long the compiler took, by namespace and tier: reads a .nettrace with the
// runtime's verbose JIT events (MethodJittingStarted, MethodLoadVerbose).
//
//   dotnet-trace collect --show-child-io --providers Microsoft-Windows-DotNETRuntime:0x10:5 -o app.nettrace -- <command>
//   dotnet run build/probes/jit-by-namespace.cs -- app.nettrace [namespace depth=2] [top=30]
//
// Used on both twins of an overhead run: the profiled twin compiled 4,400 more methods in its first minute.
// A method's time runs from its JittingStarted to its MethodLoad on the same thread (wall time: a compile
// that was descheduled counts the wait too). Tiers: "quick" is tier 0 (or minopts), "optimized" tier 1 (or
// full opts), "other" the rest (instrumented tiers, on-stack replacement).
#:package Microsoft.Diagnostics.Tracing.TraceEvent
#:property PublishAot=false
using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

int depth = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
int top = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
var groups = new Dictionary<string, Group>();
var started = new Dictionary<(int Thread, long Method), double>();
using (var source = new EventPipeEventSource(args[0]))
{
    var clr = new ClrTraceEventParser(source);
    clr.MethodJittingStarted += e => started[(e.ThreadID, e.MethodID)] = e.TimeStampRelativeMSec;
    clr.MethodLoadVerbose += e =>
    {
        if (!e.IsJitted)
        {
            return;
        }

        double milliseconds = started.Remove((e.ThreadID, e.MethodID), out double start) ? e.TimeStampRelativeMSec - start : 0;
        string key = string.Join('.', e.MethodNamespace.Split('.').Take(depth));
        if (!groups.TryGetValue(key, out var group))
        {
            groups[key] = group = new Group();
        }

        int tier = e.OptimizationTier switch
        {
            OptimizationTier.QuickJitted or OptimizationTier.MinOptJitted => 0,
            OptimizationTier.Optimized or OptimizationTier.OptimizedTier1 => 1,
            _ => 2,
        };
        group.Counts[tier]++;
        group.Milliseconds[tier] += milliseconds;
    };
    source.Process();
}

var all = groups.Values.ToList();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{args[0]}: {all.Sum(g => g.Counts.Sum()):N0} methods compiled, {all.Sum(g => g.Milliseconds.Sum()):N0} ms (quick {all.Sum(g => g.Milliseconds[0]):N0}, optimized {all.Sum(g => g.Milliseconds[1]):N0}, other {all.Sum(g => g.Milliseconds[2]):N0})"));
Console.WriteLine("  methods (quick / optimized / other)      ms (quick / optimized / other)   namespace");
foreach (var (name, group) in groups.OrderByDescending(pair => pair.Value.Milliseconds.Sum()).Take(top))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {group.Counts.Sum(),6} ({group.Counts[0],5} / {group.Counts[1],5} / {group.Counts[2],5})   {group.Milliseconds.Sum(),7:F0} ({group.Milliseconds[0],6:F0} / {group.Milliseconds[1],6:F0} / {group.Milliseconds[2],6:F0})   {name}"));
}

internal sealed class Group
{
    public int[] Counts { get; } = new int[3];

    public double[] Milliseconds { get; } = new double[3];
}
