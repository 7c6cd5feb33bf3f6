namespace OpenTelemetry.Profiling.Sampling;

/// <summary>Payload of ExceptionThrown_V1 (runtime provider, id 80, keyword Exception 0x8000), template "Exception".</summary>
internal readonly ref struct ExceptionThrownData
{
    public ReadOnlySpan<char> ExceptionType { get; init; }

    public ReadOnlySpan<char> ExceptionMessage { get; init; }

    public ulong ExceptionEip { get; init; }

    public uint ExceptionHResult { get; init; }

    /// <summary>0x1 has inner, 0x2 nested, 0x4 rethrown, 0x8 corrupted state, 0x10 CLS compliant.</summary>
    public ushort ExceptionFlags { get; init; }

    public ushort ClrInstanceId { get; init; }
}
