// Soak: many distinct stacks under the default profiling set-up, for --minutes, printing the process's memory
// every minute. Profiles go to a LocalOtlpReceiver in a child process (this program with --receiver), so the
// receiver's own memory does not count. See build/soak.sh.
using System.Diagnostics;
using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Profiling;
using OpenTelemetry.Profiling.Exporter;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Resources;
using SoakWorkload;

var invariant = CultureInfo.InvariantCulture;
if (args is ["--receiver"])
{
    return await ReceiverProcess.RunAsync();
}

double minutes = 30;
bool profilingOn = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--minutes" when i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, invariant, out double parsed) && parsed > 0:
            minutes = parsed;
            i++;
            break;
        case "--no-profiling":
            profilingOn = false;
            break;
        default:
            Console.Error.WriteLine($"unknown or malformed argument '{args[i]}'; usage: SoakWorkload [--minutes N] [--no-profiling]");
            return 2;
    }
}

// The baseline (--no-profiling) runs the same workload with the same SDK set-up minus profiling, so the
// difference in memory between the two is what profiling costs. It starts and asks the receiver process too
// (nothing is sent to it): the code that does so (process start, pipes) is the soak's, not the profiler's.
using var receiver = ReceiverProcess.Start();
Console.WriteLine(profilingOn
    ? $"soak: {minutes.ToString(invariant)} min, {Environment.ProcessorCount} cores, profiles to {receiver.Endpoint} (child process)"
    : $"soak baseline (profiling off): {minutes.ToString(invariant)} min, {Environment.ProcessorCount} cores");

using var sdk = OpenTelemetrySdk.Create(otel =>
{
    otel.ConfigureResource(resource => resource.AddService("soak-workload"));
    if (profilingOn)
    {
        otel.WithProfiling(profiling => profiling.AddOtlpExporter(exporter =>
        {
            exporter.Endpoint = receiver.Endpoint;
            exporter.Protocol = OtlpProfileExportProtocol.Grpc;
        }));
    }
    else
    {
        otel.WithTracing(_ => { });
    }
});

var source = new ActivitySource("SoakWorkload");
using var listener = new ActivityListener
{
    ShouldListenTo = s => s.Name == "SoakWorkload",
    Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
};
ActivitySource.AddActivityListener(listener);

using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(minutes));
long units = 0;

// Two busy threads of plain CPU work, and async "requests" that hop threads inside spans.
var workers = Enumerable.Range(0, 2).Select(id => new Thread(() =>
{
    var random = new Random(id);
    while (!stop.IsCancellationRequested)
    {
        StackZoo.Run(random);
        Interlocked.Increment(ref units);
    }
}) { Name = "soak-worker-" + id.ToString(invariant) }).ToList();
workers.ForEach(worker => worker.Start());
var requests = Enumerable.Range(0, 4).Select(id => Task.Run(async () =>
{
    var random = new Random(100 + id);
    while (!stop.IsCancellationRequested)
    {
        using var span = source.StartActivity("request " + (random.Next(20)).ToString(invariant));
        StackZoo.Run(random);
        await Task.Yield();
        StackZoo.Run(random);
        await Task.Delay(1);
        Interlocked.Increment(ref units);
    }
})).ToArray();

var start = Stopwatch.StartNew();
double startRss = Rss();
Console.WriteLine("minute   rss MB  managed MB  gc committed MB  gen0 GCs  allocated MB  dynamic methods  work units  profile requests");
Print(0);
int minute = 0;
while (!stop.IsCancellationRequested)
{
    try
    {
        await Task.Delay(TimeSpan.FromSeconds(5), stop.Token);
    }
    catch (OperationCanceledException)
    {
        break;
    }

    StackZoo.EmitNewDynamicEntry();
    if (start.Elapsed >= TimeSpan.FromMinutes(minute + 1))
    {
        Print(++minute);
    }
}

workers.ForEach(worker => worker.Join());
await Task.WhenAll(requests);
double endRss = Rss();
sdk.Dispose(); // exports the last partial interval
Console.WriteLine(string.Create(invariant, $"rss at start {startRss:F1} MB, at end {endRss:F1} MB ({endRss - startRss:+0.0;-0.0} MB over {start.Elapsed.TotalMinutes:F1} min)"));
Console.WriteLine($"receiver: {receiver.ProfileRequestCount()} profile requests");
return 0;

void Print(int at) => Console.WriteLine(string.Create(invariant, $"{at,6}  {Rss(),7:F1}  {GC.GetTotalMemory(false) / 1048576.0,10:F1}  {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0,15:F1}  {GC.CollectionCount(0),8}  {GC.GetTotalAllocatedBytes() / 1048576.0,12:F1}  {StackZoo.DynamicMethodsEmitted,15}  {Interlocked.Read(ref units),10}  {receiver.ProfileRequestCount(),16}"));

static double Rss() => Environment.WorkingSet / 1048576.0;
