namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Interned stacks of the current sequence-point region, stored in one flat address arena so resolving a stack
/// id is two array reads and caching a stack is a copy, never an allocation in steady state.
/// </summary>
/// <remarks>
/// The writer numbers stacks consecutively from 1 after each sequence point and only lets events reference
/// stacks since the last one, so the cache is cleared there. A stream that never sends a sequence point must not
/// grow memory without bound: past <see cref="MaxAddresses"/> or <see cref="MaxStacks"/> the cache is dropped and
/// events referencing evicted ids resolve to an empty stack (counted in <see cref="MissingStackLookups"/>).
/// </remarks>
internal sealed class NetTraceStackCache
{
    // Empty until the first stack: a session without stack walks (the method session) never needs them, and
    // 16 K addresses up front were 128 KB on the large-object heap per cache.
    private ulong[] _addresses = [];
    private int _addressCount;
    private int[] _offsets = [];
    private int[] _lengths = [];
    private int _count;
    private uint _firstId;

    public NetTraceStackCache(int maxAddresses = 4 * 1024 * 1024, int maxStacks = 256 * 1024)
    {
        MaxAddresses = maxAddresses;
        MaxStacks = maxStacks;
    }

    public int MaxAddresses { get; }

    public int MaxStacks { get; }

    public int Count => _count;

    /// <summary>Events whose stack id was not in the cache (evicted or never sent).</summary>
    public long MissingStackLookups { get; private set; }

    /// <summary>How many times the bound forced the cache to be dropped between sequence points.</summary>
    public long Evictions { get; private set; }

    /// <summary>Bytes held by the cache's arrays (they grow with the largest region seen and never shrink).</summary>
    public long RetainedBytes => ((long)_addresses.Length * sizeof(ulong)) + ((long)(_offsets.Length + _lengths.Length) * sizeof(int));

    /// <summary>Empties the cache and zeroes its counters, for a new stream.</summary>
    public void Reset()
    {
        Clear();
        MissingStackLookups = 0;
        Evictions = 0;
    }

    public void Clear()
    {
        _count = 0;
        _addressCount = 0;
        _firstId = 0;
    }

    /// <summary>Reserves room for a stack of <paramref name="frameCount"/> frames with id <paramref name="id"/> and returns it to fill.</summary>
    /// <exception cref="NetTraceFormatException">Ids go backwards within a sequence-point region.</exception>
    public Span<ulong> Add(uint id, int frameCount)
    {
        if (_count == 0)
        {
            _firstId = id;
        }
        else
        {
            uint expected = _firstId + (uint)_count;
            if (id < expected)
            {
                throw new NetTraceFormatException($"Malformed nettrace stream: stack id {id} was defined twice (expected {expected} or higher).");
            }

            long gap = (long)id - expected;
            if (gap > MaxStacks || _count + gap + 1 > MaxStacks || _addressCount + frameCount > MaxAddresses)
            {
                Evictions++;
                Clear();
                _firstId = id;
            }
            else
            {
                for (; expected < id; expected++)
                {
                    Append(0);
                }
            }
        }

        if (frameCount > MaxAddresses)
        {
            throw new NetTraceFormatException($"Malformed nettrace stream: stack {id} has {frameCount} frames, more than the cache bound.");
        }

        if (_addressCount + frameCount > MaxAddresses)
        {
            Evictions++;
            Clear();
            _firstId = id;
        }

        int offset = Append(frameCount);
        return _addresses.AsSpan(offset, frameCount);
    }

    /// <summary>Resolves a stack id; id 0 and unknown ids give an empty stack.</summary>
    public ReadOnlySpan<ulong> Get(uint id)
    {
        if (id == 0)
        {
            return default;
        }

        uint index = id - _firstId;
        if (index >= (uint)_count)
        {
            MissingStackLookups++;
            return default;
        }

        return _addresses.AsSpan(_offsets[index], _lengths[index]);
    }

    private int Append(int frameCount)
    {
        if (_count == _offsets.Length)
        {
            int stacks = Math.Max(64, _offsets.Length * 2);
            Array.Resize(ref _offsets, stacks);
            Array.Resize(ref _lengths, stacks);
        }

        if (_addressCount + frameCount > _addresses.Length)
        {
            int size = Math.Max(1024, _addresses.Length);
            while (size < _addressCount + frameCount)
            {
                size *= 2;
            }

            Array.Resize(ref _addresses, Math.Min(size, Math.Max(MaxAddresses, _addressCount + frameCount)));
        }

        int offset = _addressCount;
        _offsets[_count] = offset;
        _lengths[_count] = frameCount;
        _count++;
        _addressCount += frameCount;
        return offset;
    }
}
