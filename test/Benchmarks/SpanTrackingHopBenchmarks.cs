using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Benchmarks;

/// <summary>
/// What span tracking adds to an async hop: <c>await Task.Yield()</c> round trips (the continuation runs on the
/// thread pool, so the execution context is switched in and out) with the tracker stopped or started, outside
/// or inside an Activity. Result per operation = per hop; the tracker's cost is the difference between
/// <see cref="Tracking"/> true and false. <see cref="RootAndChildSpan"/> is what it adds to spans themselves:
/// the ids read when a span becomes current, and the mirror set when it starts and ends.
/// </summary>
[MemoryDiagnoser]
public class SpanTrackingHopBenchmarks
{
    private const int Hops = 1000;

    [Params(false, true)]
    public bool Tracking { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (this.Tracking)
        {
            SpanTracker.Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (this.Tracking)
        {
            SpanTracker.Stop();
        }
    }

    [Benchmark(OperationsPerInvoke = Hops)]
    public async Task YieldOutsideSpan()
    {
        for (int i = 0; i < Hops; i++)
        {
            await Task.Yield();
        }
    }

    [Benchmark(OperationsPerInvoke = Hops)]
    public async Task YieldInsideSpan()
    {
        using var span = new Activity("hop").Start();
        for (int i = 0; i < Hops; i++)
        {
            await Task.Yield();
        }
    }

    [Benchmark]
    public void RootAndChildSpan()
    {
        using var root = new Activity("GET /api/check").Start();
        using var child = new Activity("load limits").Start();
    }
}
