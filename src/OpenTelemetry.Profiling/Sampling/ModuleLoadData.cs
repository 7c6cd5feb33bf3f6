namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Payload of ModuleLoad / ModuleUnload (runtime provider, ids 152/153) and rundown ModuleDCStart / ModuleDCEnd
/// (ids 153/154), template ModuleLoadUnload_V2: maps a ModuleID from method events to its file and PDB identity.
/// </summary>
internal readonly ref struct ModuleLoadData
{
    public ulong ModuleId { get; init; }

    public ulong AssemblyId { get; init; }

    public uint ModuleFlags { get; init; }

    public ReadOnlySpan<char> ModuleILPath { get; init; }

    public ReadOnlySpan<char> ModuleNativePath { get; init; }

    /// <summary>From version 1 on.</summary>
    public ushort ClrInstanceId { get; init; }

    /// <summary>From version 2 on (PDB identity for symbol lookup).</summary>
    public Guid ManagedPdbSignature { get; init; }

    public uint ManagedPdbAge { get; init; }

    public ReadOnlySpan<char> ManagedPdbBuildPath { get; init; }
}
