namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Payload of MethodLoadVerbose / MethodUnloadVerbose (runtime provider, ids 143/144) and of the rundown
/// MethodDCStartVerbose / MethodDCEndVerbose (ids 143/144), which share one layout. Strings are views into the
/// event payload: materialize only the ones a symbol table keeps.
/// </summary>
internal readonly ref struct MethodLoadData
{
    public ulong MethodId { get; init; }

    public ulong ModuleId { get; init; }

    public ulong MethodStartAddress { get; init; }

    public uint MethodSize { get; init; }

    public uint MethodToken { get; init; }

    /// <summary>MethodFlagsMap: 0x1 dynamic, 0x2 generic, 0x4 shared generic code, 0x8 jitted (absent for precompiled ReadyToRun code), 0x10 JIT helper; higher bits carry the optimization tier.</summary>
    public uint MethodFlags { get; init; }

    public ReadOnlySpan<char> MethodNamespace { get; init; }

    public ReadOnlySpan<char> MethodName { get; init; }

    public ReadOnlySpan<char> MethodSignature { get; init; }

    /// <summary>From version 1 on; 0 otherwise.</summary>
    public ushort ClrInstanceId { get; init; }

    /// <summary>From version 2 on; 0 otherwise.</summary>
    public ulong ReJitId { get; init; }
}
