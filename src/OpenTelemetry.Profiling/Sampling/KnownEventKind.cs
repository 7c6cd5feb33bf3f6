namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Classification of the events the profiler understands, computed once per metadata record so the per-event
/// dispatch is a switch on an integer instead of comparing provider names.
/// </summary>
internal enum KnownEventKind
{
    Unknown = 0,
    ThreadSample,
    MethodLoadVerbose,
    MethodUnloadVerbose,
    R2RGetEntryPoint,
    ModuleLoad,
    ModuleUnload,
    GCAllocationTick,
    ContentionStart,
    ContentionStop,
    ExceptionThrown,
    RundownMethodDCStartVerbose,
    RundownMethodDCEndVerbose,
    RundownModuleDCStart,
    RundownModuleDCEnd,
    RundownDCEndComplete,
}
