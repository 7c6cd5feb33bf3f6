// What a process allocated, by type and the stack that allocated it: sums the runtime's AllocationTick events
// (about one per 100 KB a thread allocates, each with the bytes since the previous one and, in a dotnet-trace
// capture, the stack) of a .nettrace, per second of the trace. "large" keeps only large-object allocations.
// Found that the profiler's steady allocations are span tracking's (the execution contexts and maps the span
// mirror's AsyncLocal sets copy, and its boxes) and the interval's profile building, with no large objects.
//
//   dotnet-trace collect -p <pid> --providers Microsoft-Windows-DotNETRuntime:0x1:5 --duration 00:00:01:00 -o app.nettrace
//   dotnet run build/probes/alloc-stacks.cs -- app.nettrace [all|large] [frames=6]
#:package Microsoft.Diagnostics.Tracing.TraceEvent
#:property PublishAot=false
using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

bool largeOnly = args.Length > 1 && args[1] == "large";
int depth = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 6;
string etlx = TraceLog.CreateFromEventPipeDataFile(args[0]);
using var log = new TraceLog(etlx);
var bytes = new Dictionary<string, long>();
long total = 0;
double first = double.NaN, last = 0;
foreach (var traceEvent in log.Events)
{
    if (traceEvent is not GCAllocationTickTraceData tick)
    {
        continue;
    }

    if (double.IsNaN(first))
    {
        first = tick.TimeStampRelativeMSec;
    }

    last = tick.TimeStampRelativeMSec;
    if (largeOnly && tick.AllocationKind != GCAllocationKind.Large)
    {
        continue;
    }

    var frames = new List<string>();
    for (var frame = tick.CallStack(); frame is not null && frames.Count < depth; frame = frame.Caller)
    {
        string method = frame.CodeAddress.FullMethodName;
        if (!string.IsNullOrEmpty(method))
        {
            frames.Add(method.Length > 110 ? method[..110] : method);
        }
    }

    string key = tick.TypeName + " <= " + string.Join(" <= ", frames);
    bytes[key] = bytes.GetValueOrDefault(key) + tick.AllocationAmount64;
    total += tick.AllocationAmount64;
}

double seconds = (last - first) / 1000;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{total / seconds / 1e3:F1} KB/s over {seconds:F1} s"));
foreach (var (key, amount) in bytes.OrderByDescending(pair => pair.Value).Take(30))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{amount / seconds / 1e3,8:F1} KB/s  {key}"));
}
