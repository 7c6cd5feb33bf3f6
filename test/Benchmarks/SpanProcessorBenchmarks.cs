using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Benchmarks;

/// <summary>
/// What the profiler's span processor adds to each span of the app: a root span with one child, started and
/// ended through <see cref="ProfilingSpanProcessor"/> as the tracer provider calls it, against the same spans
/// without it (<see cref="Baseline"/>). <see cref="InWindow"/>: a sampling window is open, so ended spans stay
/// in the in-flight table until the consumer's next look (one look per 64 iterations here, its cost included);
/// outside windows an ended span is forgotten at once. The span tracker runs in both, as in a profiled app.
/// </summary>
[MemoryDiagnoser]
public class SpanProcessorBenchmarks
{
    private const int IterationsPerLook = 64;
    private readonly List<SpanKey> noCurrentSpans = [];
    private InFlightSpans inFlight = null!;
    private ProfilingSpanProcessor processor = null!;
    private int iterations;

    [Params(false, true)]
    public bool InWindow { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // As in a profiled app: the tracker mirrors the current span, which the processor reads its key from.
        SpanTracker.Start();
        this.inFlight = new InFlightSpans { SamplingActive = this.InWindow };
        this.processor = new ProfilingSpanProcessor { Active = true, InFlight = this.inFlight };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        this.processor.Dispose();
        SpanTracker.Stop();
    }

    [Benchmark(Baseline = true)]
    public void Baseline()
    {
        using var root = new Activity("GET /api/check").Start();
        using var child = new Activity("load limits").Start();
    }

    [Benchmark]
    public void ThroughProcessor()
    {
        var root = new Activity("GET /api/check").Start();
        this.processor.OnStart(root);
        var child = new Activity("load limits").Start();
        this.processor.OnStart(child);
        child.Stop();
        this.processor.OnEnd(child);
        root.Stop();
        this.processor.OnEnd(root);
        child.Dispose();
        root.Dispose();
        if (this.InWindow && ++this.iterations % IterationsPerLook == 0)
        {
            this.inFlight.ForEachAwaiting(Stopwatch.GetTimestamp(), this.noCurrentSpans, static _ => { });
        }
    }
}
