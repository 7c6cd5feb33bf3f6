namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// The most recent closed sampling windows, oldest overwritten first, for telling whether a span's life
/// overlapped sampling. Asked at every span end, so a look stops at the first window that closed before the
/// span began: windows are added in the order they close, so every older one closed earlier still. Not
/// thread-safe: the scheduler holds its lock around it.
/// </summary>
internal sealed class SamplingWindowHistory(int capacity)
{
    private readonly (DateTime Start, DateTime End)[] windows = new (DateTime, DateTime)[capacity];
    private long added;

    /// <summary>Adds a window that closed after all those already kept; <see cref="DateTime.MaxValue"/> while it is still closing.</summary>
    public void Add(DateTime startUtc, DateTime endUtc) => this.windows[this.added++ % this.windows.Length] = (startUtc, endUtc);

    /// <summary>Sets when the newest window ended (its session has stopped).</summary>
    public void EndLast(DateTime endUtc)
    {
        if (this.added > 0)
        {
            ref var last = ref this.windows[(this.added - 1) % this.windows.Length];
            last = (last.Start, endUtc);
        }
    }

    /// <summary>Tells whether one of the kept windows was open at some point between the two times.</summary>
    public bool Overlaps(DateTime startUtc, DateTime endUtc)
    {
        long kept = Math.Min(this.added, this.windows.Length);
        for (long i = 1; i <= kept; i++)
        {
            var (start, end) = this.windows[(this.added - i) % this.windows.Length];
            if (end < startUtc)
            {
                return false;
            }

            if (endUtc >= start)
            {
                return true;
            }
        }

        return false;
    }
}
