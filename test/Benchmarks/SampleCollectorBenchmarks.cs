using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Benchmarks;

/// <summary>
/// The whole per-sample path on the consumer thread: lock, round counting, own-thread filter, span lookup in the
/// sampled thread's switch history, aggregation (CPU and, when enabled by default, wall). 8 threads whose
/// histories hold 2,000 span switches each. <see cref="SwitchesAfterSample"/> is how many switches the thread made
/// between the sample and its processing: 0 when the thread was idle since, 1,000 for a thread that hops spans
/// every ~100 us and a sample processed 100 ms late (the usual EventPipe delivery delay).
/// </summary>
[MemoryDiagnoser]
public class SampleCollectorBenchmarks
{
    private const int SamplesPerInvoke = 4096;
    private const int Threads = 8;
    private const int Switches = 2000;

    private SampleCollector collector = null!;
    private ulong[][] stacks = [];
    private int[] stackOf = [];
    private int[] threadOf = [];
    private long[] timestampOf = [];
    private bool[] managedOf = [];

    [Params(0, 1000)]
    public int SwitchesAfterSample { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        SpanTracker.Start();
        var spans = SyntheticStacks.CreateSpans(64);
        var threadIds = new int[Threads];
        var sampleTime = new long[Threads];
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            threadIds[t] = OsThread.CurrentId;
            for (int i = 0; i < Switches; i++)
            {
                if (i == Switches - this.SwitchesAfterSample)
                {
                    sampleTime[t] = Stopwatch.GetTimestamp();
                }

                Activity.Current = i % 2 == 0 ? spans[(t + i) % spans.Length] : null;
            }

            if (this.SwitchesAfterSample == 0)
            {
                sampleTime[t] = Stopwatch.GetTimestamp();
            }
        })).ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());

        var synthetic = new SyntheticStacks(distinctStacks: 400, methodCount: 2000);
        var random = new Random(7);
        this.stacks = synthetic.Stacks;
        this.stackOf = new int[SamplesPerInvoke];
        this.threadOf = new int[SamplesPerInvoke];
        this.timestampOf = new long[SamplesPerInvoke];
        this.managedOf = new bool[SamplesPerInvoke];
        for (int i = 0; i < SamplesPerInvoke; i++)
        {
            int thread = random.Next(Threads);
            this.stackOf[i] = synthetic.PickStack(random);
            this.threadOf[i] = threadIds[thread];
            this.timestampOf[i] = sampleTime[thread];
            this.managedOf[i] = random.Next(4) != 0;
        }

        this.collector = new SampleCollector([ProfileType.Cpu, ProfileType.Wall], 20_000);
        this.Add();
    }

    [GlobalCleanup]
    public void Cleanup() => SpanTracker.Stop();

    [Benchmark(OperationsPerInvoke = SamplesPerInvoke)]
    public void OnThreadSample() => this.Add();

    private void Add()
    {
        for (int i = 0; i < SamplesPerInvoke; i++)
        {
            this.collector.OnThreadSample(this.threadOf[i], this.timestampOf[i], this.stacks[this.stackOf[i]], this.managedOf[i]);
        }
    }
}
