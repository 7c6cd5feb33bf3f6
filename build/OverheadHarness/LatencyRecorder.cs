using System.Diagnostics;

namespace OverheadHarness;

/// <summary>
/// Keeps every request latency of the current block in a preallocated array, so recording allocates nothing and
/// percentiles are exact. Latencies past the capacity are counted but not kept.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly long[] ticks;
    private long count;

    public LatencyRecorder(int capacity)
    {
        this.ticks = new long[capacity];
    }

    public long Count => Interlocked.Read(ref this.count);

    public void Record(long elapsedTicks)
    {
        long index = Interlocked.Increment(ref this.count) - 1;
        if (index < this.ticks.Length)
        {
            this.ticks[index] = elapsedTicks;
        }
    }

    /// <summary>Starts a new block: forgets what was recorded.</summary>
    public void Reset() => Interlocked.Exchange(ref this.count, 0);

    /// <summary>Returns the given percentiles (0-100) of the latencies recorded since <see cref="Reset"/>, in milliseconds.</summary>
    public double[] Percentiles(params double[] percentiles)
    {
        int kept = (int)Math.Min(this.Count, this.ticks.Length);
        if (kept == 0)
        {
            return new double[percentiles.Length];
        }

        var sorted = this.ticks.AsSpan(0, kept);
        sorted.Sort();
        var result = new double[percentiles.Length];
        for (int i = 0; i < percentiles.Length; i++)
        {
            int rank = Math.Clamp((int)Math.Ceiling(percentiles[i] / 100 * kept) - 1, 0, kept - 1);
            result[i] = sorted[rank] * 1000.0 / Stopwatch.Frequency;
        }

        return result;
    }
}
