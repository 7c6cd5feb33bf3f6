namespace OpenTelemetry.Profiling.Sampling;

/// <summary>Payload of ContentionStart (runtime provider, id 81, keyword Contention 0x4000); lock fields from version 2 on.</summary>
internal readonly struct ContentionStartData
{
    /// <summary>0 managed lock, 1 native.</summary>
    public byte ContentionFlags { get; init; }

    public ushort ClrInstanceId { get; init; }

    public ulong LockId { get; init; }

    public ulong AssociatedObjectId { get; init; }

    public ulong LockOwnerThreadId { get; init; }
}
