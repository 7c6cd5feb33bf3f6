// What a process allocated, by type: sums the runtime's AllocationTick events (about one per 100 KB a thread
// allocates, each carrying the bytes since the previous one) of a .nettrace, per second of the trace.
//
//   dotnet-trace collect -p <pid> --providers Microsoft-Windows-DotNETRuntime:0x1:5 --duration 00:00:00:20 -o app.nettrace
//   dotnet run build/probes/alloc-by-type.cs -- app.nettrace [top=25]
#:package Microsoft.Diagnostics.Tracing.TraceEvent
#:property PublishAot=false
using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

int top = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 25;
var bytes = new Dictionary<string, long>();
double first = double.NaN, last = 0;
using (var source = new EventPipeEventSource(args[0]))
{
    var clr = new ClrTraceEventParser(source);
    clr.GCAllocationTick += e =>
    {
        if (double.IsNaN(first)) { first = e.TimeStampRelativeMSec; }
        last = e.TimeStampRelativeMSec;
        string type = e.TypeName ?? "?";
        bytes[type] = bytes.GetValueOrDefault(type) + e.AllocationAmount64;
    };
    source.Process();
}

double seconds = (last - first) / 1000;
long total = bytes.Values.Sum();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{total / seconds / 1e6:F2} MB/s over {seconds:F1} s"));
foreach (var (type, amount) in bytes.OrderByDescending(pair => pair.Value).Take(top))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{amount / seconds / 1e3,10:F1} KB/s  {100.0 * amount / total,5:F1} %  {type}"));
}
