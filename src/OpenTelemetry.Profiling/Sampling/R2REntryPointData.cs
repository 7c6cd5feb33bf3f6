namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Payload of R2RGetEntryPoint (runtime provider, id 159, keyword CompilationDiagnostic 0x2000000000): the only
/// live signal that precompiled (ReadyToRun) code of a method is now in use. It carries the entry point but no
/// code size, so the method's extent must come from rundown or from the image itself.
/// </summary>
internal readonly ref struct R2REntryPointData
{
    public ulong MethodId { get; init; }

    public ReadOnlySpan<char> MethodNamespace { get; init; }

    public ReadOnlySpan<char> MethodName { get; init; }

    public ReadOnlySpan<char> MethodSignature { get; init; }

    public ulong EntryPoint { get; init; }

    public ushort ClrInstanceId { get; init; }
}
