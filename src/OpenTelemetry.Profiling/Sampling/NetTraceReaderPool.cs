namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Read buffers and stack caches of finished readers, kept for the next session. A sampling window opens a new
/// session every cycle, and each reader used to allocate a 256 KB buffer and a 128 KB stack cache: large-object
/// heap allocations on a new reader thread, whose thread-local <c>ArrayPool</c> slot died with it, so every
/// window left them to a full GC and the heap stayed larger. Keeps at most <see cref="MaxIdle"/> of each (one per
/// session that runs at a time: method, event, sampler, rundown) and none that grew past
/// <see cref="MaxKeptBytes"/>, so what it holds is bounded.
/// </summary>
internal sealed class NetTraceReaderPool
{
    internal const int MaxIdle = 4;
    internal const int MaxKeptBytes = 1024 * 1024;

    private readonly Lock gate = new();
    private readonly Stack<byte[]> buffers = new();
    private readonly Stack<NetTraceStackCache> stackCaches = new();

    /// <summary>Gets the pool every session's reader uses.</summary>
    public static NetTraceReaderPool Shared { get; } = new();

    internal int IdleBuffers
    {
        get
        {
            lock (this.gate)
            {
                return this.buffers.Count;
            }
        }
    }

    internal int IdleStackCaches
    {
        get
        {
            lock (this.gate)
            {
                return this.stackCaches.Count;
            }
        }
    }

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes, a kept one when it is large enough.</summary>
    public byte[] RentBuffer(int minimumLength)
    {
        lock (this.gate)
        {
            if (this.buffers.TryPeek(out byte[]? kept) && kept.Length >= minimumLength)
            {
                return this.buffers.Pop();
            }
        }

        return GC.AllocateUninitializedArray<byte>(minimumLength);
    }

    public void ReturnBuffer(byte[] buffer)
    {
        if (buffer.Length == 0 || buffer.Length > MaxKeptBytes)
        {
            return;
        }

        lock (this.gate)
        {
            if (this.buffers.Count < MaxIdle)
            {
                this.buffers.Push(buffer);
            }
        }
    }

    /// <summary>An empty stack cache with the default bounds, a kept one when there is one.</summary>
    public NetTraceStackCache RentStackCache()
    {
        lock (this.gate)
        {
            if (this.stackCaches.TryPop(out var kept))
            {
                return kept;
            }
        }

        return new NetTraceStackCache();
    }

    public void ReturnStackCache(NetTraceStackCache cache)
    {
        if (cache.RetainedBytes > MaxKeptBytes)
        {
            return;
        }

        cache.Reset();
        lock (this.gate)
        {
            if (this.stackCaches.Count < MaxIdle)
            {
                this.stackCaches.Push(cache);
            }
        }
    }
}
