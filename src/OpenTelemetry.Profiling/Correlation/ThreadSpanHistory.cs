using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The recent span switches of one thread: a ring of (timestamp, span state) written only by the owning
/// thread and read by the profiler's consumer thread without locks. Samples reach the consumer 100-300 ms
/// after they were taken, so the consumer asks "what was current at time T" after the fact; when the ring
/// has already been overwritten past T the answer is "unknown", never a wrong span.
/// <para>
/// A thread that switches often (a busy thread-pool thread runs tens of thousands of work items a second, two
/// switches each) would wrap a small ring within milliseconds, so the ring grows, by doubling on the owning
/// thread, whenever it would overwrite a switch younger than <see cref="Horizon"/>, up to
/// <see cref="MaxCapacity"/> entries (48 bytes each, no object references, so the ring costs the GC nothing).
/// Quiet threads keep the small initial ring.
/// </para>
/// </summary>
internal sealed class ThreadSpanHistory
{
    public const int InitialCapacity = 256;
    public const int MaxCapacity = 1 << 15;

    /// <summary>How far back a lookup must still reach: well past the sample-to-consumer latency (at most ~250 ms).</summary>
    public static readonly long Horizon = Stopwatch.Frequency;

    private Ring ring = new(InitialCapacity);
    private long count;

    public ThreadSpanHistory(int osThreadId, Thread thread)
    {
        this.OsThreadId = osThreadId;
        this.Thread = thread;
    }

    public int OsThreadId { get; }

    public Thread Thread { get; }

    public long Count => Volatile.Read(ref this.count);

    public int Capacity => Volatile.Read(ref this.ring).Timestamps.Length;

    /// <summary>Gets the timestamp of the latest switch, or 0 if none.</summary>
    public long LastTimestamp
    {
        get
        {
            var r = Volatile.Read(ref this.ring);
            long c = Volatile.Read(ref this.count);
            return c == 0 ? 0 : r.Timestamps[(c - 1) & r.Mask];
        }
    }

    /// <summary>Records that <paramref name="state"/> became current at <paramref name="timestamp"/>. Owner thread only.</summary>
    public void Record(long timestamp, in SpanKey state)
    {
        long c = this.count;
        var r = this.ring;
        int slot = (int)(c & r.Mask);
        if (c >= r.Timestamps.Length && timestamp - r.Timestamps[slot] < Horizon && r.Timestamps.Length < MaxCapacity)
        {
            r = this.Grow(r, c);
            slot = (int)(c & r.Mask);
        }

        r.Timestamps[slot] = timestamp;
        r.States[slot] = state;
        Volatile.Write(ref this.count, c + 1);
    }

    /// <summary>Finds the state that was current at <paramref name="timestamp"/>.</summary>
    public SpanLookupResult TryGetStateAt(long timestamp, out SpanKey state)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var r = Volatile.Read(ref this.ring);
            var result = this.TryGetStateAt(r, timestamp, out state, out bool ringReplaced);
            if (!ringReplaced)
            {
                return result;
            }
        }

        state = default;
        return SpanLookupResult.Lost;
    }

    private SpanLookupResult TryGetStateAt(Ring r, long timestamp, out SpanKey state, out bool ringReplaced)
    {
        state = default;
        ringReplaced = false;
        int capacity = r.Timestamps.Length;
        long end = Volatile.Read(ref this.count);

        // Binary search: a busy thread holds tens of thousands of switches newer than a sample that arrives
        // 200 ms late, and a backward scan over them, per sample, starved the application of CPU. The oldest
        // eighth of the ring is left out so the owner can keep writing while we search.
        long low = Math.Max(0, end - capacity + (capacity / 8));
        long left = low, right = end - 1, found = -1;
        while (left <= right)
        {
            long mid = left + ((right - left) / 2);
            if (r.Timestamps[mid & r.Mask] <= timestamp)
            {
                found = mid;
                left = mid + 1;
            }
            else
            {
                right = mid - 1;
            }
        }

        SpanKey candidate = found >= 0 ? r.States[found & r.Mask] : default;
        Interlocked.MemoryBarrier();
        if (!ReferenceEquals(Volatile.Read(ref this.ring), r))
        {
            // The owner grew the ring while we read: entries past the growth point are only in the new one.
            ringReplaced = true;
            return SpanLookupResult.Lost;
        }

        if (Volatile.Read(ref this.count) - capacity >= low)
        {
            // The writer has wrapped around onto slots we read.
            return SpanLookupResult.Lost;
        }

        if (found >= 0)
        {
            state = candidate;
            return SpanLookupResult.Found;
        }

        // Every switch we still hold is later than the sample: before the first one nothing was tracked
        // (no span); if older switches were overwritten we cannot know.
        return low == 0 ? SpanLookupResult.Found : SpanLookupResult.Lost;
    }

    private Ring Grow(Ring old, long count)
    {
        var grown = new Ring(old.Timestamps.Length * 2);
        for (long i = Math.Max(0, count - old.Timestamps.Length); i < count; i++)
        {
            grown.Timestamps[i & grown.Mask] = old.Timestamps[i & old.Mask];
            grown.States[i & grown.Mask] = old.States[i & old.Mask];
        }

        Volatile.Write(ref this.ring, grown);
        return grown;
    }

    private sealed class Ring(int capacity)
    {
        public long[] Timestamps { get; } = new long[capacity];

        public SpanKey[] States { get; } = new SpanKey[capacity];

        public long Mask { get; } = capacity - 1;
    }
}
