using OpenTelemetry.Profiling.Correlation;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry.Profiling.Aggregation;

namespace OpenTelemetry.Profiling.Benchmarks;

/// <summary>
/// Adding samples to an interval's aggregator: 400 distinct stacks of 20-40 frames, 8 threads, a third of the
/// samples inside one of 64 spans. Each invocation adds the same 4,096 samples to an aggregator that is not
/// cleared, which is the steady state inside an export interval (every stack and span already known).
/// Result per operation = per sample.
/// </summary>
[MemoryDiagnoser]
public class SampleIngestionBenchmarks
{
    private const int SamplesPerInvoke = 4096;

    private readonly SampleAggregator aggregator = new(20_000);
    private ulong[][] stacks = [];
    private int[] stackOf = [];
    private int[] threadOf = [];
    private SpanKey[] spanOf = [];

    [GlobalSetup]
    public void Setup()
    {
        var synthetic = new SyntheticStacks(distinctStacks: 400, methodCount: 2000);
        var spans = SyntheticStacks.CreateSpans(64);
        var random = new Random(7);
        this.stacks = synthetic.Stacks;
        this.stackOf = new int[SamplesPerInvoke];
        this.threadOf = new int[SamplesPerInvoke];
        this.spanOf = new SpanKey[SamplesPerInvoke];
        for (int i = 0; i < SamplesPerInvoke; i++)
        {
            this.stackOf[i] = synthetic.PickStack(random);
            this.threadOf[i] = 1000 + random.Next(8);
            this.spanOf[i] = random.Next(3) == 0 ? SpanKey.From(spans[random.Next(spans.Length)]) : default;
        }

        this.Add(); // the interval has seen every stack and span once: steady state
    }

    [Benchmark(OperationsPerInvoke = SamplesPerInvoke)]
    public long AggregatorAdd() => this.Add();

    private long Add()
    {
        for (int i = 0; i < SamplesPerInvoke; i++)
        {
            this.aggregator.Add(this.threadOf[i], this.stacks[this.stackOf[i]], this.spanOf[i], 1);
        }

        return this.aggregator.SampleCount;
    }
}
