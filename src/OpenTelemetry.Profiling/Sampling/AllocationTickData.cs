namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Payload of GCAllocationTick (runtime provider, id 10, keyword GC 0x1, level Verbose): emitted about every
/// 100 KB allocated per heap, the basis of allocation sampling.
/// </summary>
internal readonly ref struct AllocationTickData
{
    /// <summary>Bytes allocated since the previous tick, truncated to 32 bits (use <see cref="AllocationAmount64"/>).</summary>
    public uint AllocationAmount { get; init; }

    /// <summary>0 small object heap, 1 large object heap, 2 pinned object heap.</summary>
    public uint AllocationKind { get; init; }

    public ushort ClrInstanceId { get; init; }

    /// <summary>From version 2 on.</summary>
    public ulong AllocationAmount64 { get; init; }

    public ulong TypeId { get; init; }

    public ReadOnlySpan<char> TypeName { get; init; }

    public uint HeapIndex { get; init; }

    /// <summary>From version 3 on: address of the object that triggered the tick.</summary>
    public ulong Address { get; init; }

    /// <summary>From version 4 on: size of that object.</summary>
    public ulong ObjectSize { get; init; }
}
