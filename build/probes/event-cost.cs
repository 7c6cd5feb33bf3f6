// What the runtime's lock contention events cost the threads that contend, measured inside one process.
//
//   dotnet run build/probes/event-cost.cs -- [threads=8] [seconds=90] [keyword-hex=4000] [stacks=true]
//
// Threads take one of two locks for a short piece of work, then work outside it, and count what they finish.
// An EventPipe session with the runtime provider at Verbose and the given keywords (0x4000: contention, what
// LockContentionEnabled subscribes to; 0x8000: exceptions; an unused keyword such as 10000000000 is the
// control) is switched on and off every 2 s, as our profiler's event session would be on or off. The probe
// compares the work finished in each "on" stretch with the "off" stretch after it (the machine drifts by
// several percent over tens of seconds; neighbours cancel most of it), and prints the mean ratio with its
// standard error, the contentions per second (Monitor.LockContentionCount) and the CPU time each contention
// cost, all cores counted. The events are read and thrown away: what the profiler does with them comes on top.
#:package Microsoft.Diagnostics.NETCore.Client
#:property PublishAot=false
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;

int threadCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
int seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 90;
long keywords = args.Length > 2 ? long.Parse(args[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0x4000;
bool stacks = args.Length <= 3 || bool.Parse(args[3]);
const int StretchReadings = 17; // 100 ms readings per stretch, after 300 ms of settling

var locks = new[] { new object(), new object() };
long finished = 0;
bool stop = false;
var workers = Enumerable.Range(0, threadCount).Select(id => new Thread(() => Work(id)) { IsBackground = true }).ToList();
workers.ForEach(worker => worker.Start());

var client = new DiagnosticsClient(Environment.ProcessId);
Thread.Sleep(3000); // the workers' code tiers up
var ratios = new List<double>();
double onContentions = 0, onSeconds = 0;
var clock = Stopwatch.StartNew();
while (clock.Elapsed.TotalSeconds < seconds)
{
    using (var session = client.StartEventPipeSession(new EventPipeSessionConfiguration(
        [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, keywords)], 32, 0, stacks)))
    {
        var reader = new Thread(() => Drain(session.EventStream)) { IsBackground = true };
        reader.Start();
        var (onRate, contentionRate, stretchSeconds) = Stretch();
        onContentions += contentionRate * stretchSeconds;
        onSeconds += stretchSeconds;
        session.Stop();
        reader.Join();
        ratios.Add(onRate);
    }

    ratios[^1] /= Stretch().Rate;
}

Volatile.Write(ref stop, true);
workers.ForEach(worker => worker.Join());
double mean = ratios.Average();
double error = Math.Sqrt(ratios.Sum(r => (r - mean) * (r - mean)) / (ratios.Count - 1) / ratios.Count);
double contentionsPerSecond = onContentions / onSeconds;
Console.WriteLine(Invariant($"{threadCount} threads on {Environment.ProcessorCount} cores, keywords 0x{keywords:x}, stacks {stacks}: {ratios.Count} on/off pairs"));
Console.WriteLine(Invariant($"work finished, on/off:   {mean:F4} +- {error:F4}"));
Console.WriteLine(Invariant($"contentions per second:  {contentionsPerSecond:F0} (with the session on)"));
Console.WriteLine(Invariant($"cpu per contention:      {(1 - mean) * Environment.ProcessorCount * 1e6 / contentionsPerSecond:F0} us +- {error * Environment.ProcessorCount * 1e6 / contentionsPerSecond:F0} us (all cores)"));
return 0;

// Work finished per second over one stretch, and the contentions per second in it.
(double Rate, double Contentions, double Seconds) Stretch()
{
    Thread.Sleep(300);
    long startWork = Interlocked.Read(ref finished);
    long startContentions = Monitor.LockContentionCount;
    long start = Stopwatch.GetTimestamp();
    Thread.Sleep(StretchReadings * 100);
    double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
    return ((Interlocked.Read(ref finished) - startWork) / elapsed, (Monitor.LockContentionCount - startContentions) / elapsed, elapsed);
}

void Work(int id)
{
    var random = new Random(id);
    double x = 0;
    while (!Volatile.Read(ref stop))
    {
        lock (locks[random.Next(locks.Length)])
        {
            x = Spin(x, 200);
        }

        x = Spin(x, 400);
        Interlocked.Increment(ref finished);
    }

    GC.KeepAlive(x);
}

static double Spin(double x, int steps)
{
    for (int i = 0; i < steps; i++)
    {
        x += Math.Sqrt(i + x);
    }

    return x;
}

static void Drain(Stream events)
{
    var buffer = new byte[64 * 1024];
    while (events.Read(buffer, 0, buffer.Length) > 0)
    {
    }
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
