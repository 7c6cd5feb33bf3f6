namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The recent span switches of one thread: a ring of (timestamp, span state) written only by the owning
/// thread and read by the profiler's consumer thread without locks. Samples reach the consumer 100-300 ms
/// after they were taken, so the consumer asks "what was current at time T" after the fact; when the ring
/// has already been overwritten past T the answer is "unknown", never a wrong span.
/// </summary>
internal sealed class ThreadSpanHistory
{
    public const int Capacity = 512;
    private const int Mask = Capacity - 1;

    private readonly long[] timestamps = new long[Capacity];
    private readonly object?[] states = new object?[Capacity];
    private long count;

    public ThreadSpanHistory(int osThreadId, Thread thread)
    {
        this.OsThreadId = osThreadId;
        this.Thread = thread;
    }

    public int OsThreadId { get; }

    public Thread Thread { get; }

    public long Count => Volatile.Read(ref this.count);

    /// <summary>Gets the timestamp of the latest switch, or 0 if none.</summary>
    public long LastTimestamp
    {
        get
        {
            long c = Volatile.Read(ref this.count);
            return c == 0 ? 0 : Volatile.Read(ref this.timestamps[(c - 1) & Mask]);
        }
    }

    /// <summary>Records that <paramref name="state"/> became current at <paramref name="timestamp"/>. Owner thread only.</summary>
    public void Record(long timestamp, object? state)
    {
        long c = this.count;
        int slot = (int)(c & Mask);
        this.timestamps[slot] = timestamp;
        this.states[slot] = state;
        Volatile.Write(ref this.count, c + 1);
    }

    /// <summary>Finds the state that was current at <paramref name="timestamp"/>.</summary>
    public SpanLookupResult TryGetStateAt(long timestamp, out object? state)
    {
        state = null;
        long end = Volatile.Read(ref this.count);
        long oldest = Math.Max(0, end - Capacity);
        for (long i = end - 1; i >= oldest; i--)
        {
            int slot = (int)(i & Mask);
            long ts = this.timestamps[slot];
            object? candidate = this.states[slot];
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref this.count) >= i + Capacity)
            {
                // The writer has wrapped around onto this slot while we read it.
                return SpanLookupResult.Lost;
            }

            if (ts <= timestamp)
            {
                state = candidate;
                return SpanLookupResult.Found;
            }
        }

        // Every switch we still hold is later than the sample: before the first one nothing was tracked
        // (no span); if older switches were overwritten we cannot know.
        return oldest == 0 ? SpanLookupResult.Found : SpanLookupResult.Lost;
    }
}
