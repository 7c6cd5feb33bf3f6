using BenchmarkDotNet.Attributes;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Benchmarks;

/// <summary>
/// The look the span processor makes at every span end when a profiler runs: did a sampling window overlap the
/// span's life? Here after 64 windows (the history full, as after about 11 minutes at the default 10 s cycle),
/// for a span that ended after the newest window (most spans) and one inside it. <see cref="FullScan"/> is the
/// earlier look, every kept window in turn, as the baseline.
/// </summary>
public class SamplingWindowHistoryBenchmarks
{
    private const int Kept = 64;
    private static readonly DateTime T0 = new(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);
    private readonly (DateTime Start, DateTime End)[] windows = new (DateTime, DateTime)[Kept];
    private readonly SamplingWindowHistory history = new(Kept);
    private DateTime spanStart;
    private DateTime spanEnd;

    [Params(false, true)]
    public bool InNewestWindow { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Kept; i++)
        {
            var start = T0.AddSeconds(i * 10);
            this.windows[i] = (start, start.AddSeconds(0.5));
            this.history.Add(start, start.AddSeconds(0.5));
        }

        var newest = T0.AddSeconds((Kept - 1) * 10);
        this.spanStart = this.InNewestWindow ? newest.AddSeconds(0.1) : newest.AddSeconds(3);
        this.spanEnd = this.spanStart.AddMilliseconds(2);
    }

    [Benchmark(Baseline = true)]
    public bool FullScan()
    {
        foreach (var (start, end) in this.windows)
        {
            if (this.spanStart <= end && this.spanEnd >= start)
            {
                return true;
            }
        }

        return false;
    }

    [Benchmark]
    public bool NewestFirst() => this.history.Overlaps(this.spanStart, this.spanEnd);
}
