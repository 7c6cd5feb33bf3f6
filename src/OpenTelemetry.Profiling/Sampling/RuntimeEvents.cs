namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Provider names, event ids and keywords of the runtime events the profiler consumes, as declared in the
/// runtime's ClrEtwAll.man (ids are per provider: the rundown provider reuses numbers with other meanings).
/// </summary>
internal static class RuntimeEvents
{
    public const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    public const string RundownProvider = "Microsoft-Windows-DotNETRuntimeRundown";
    public const string SampleProfilerProvider = "Microsoft-DotNETCore-SampleProfiler";

    // Microsoft-Windows-DotNETRuntime
    public const int GCAllocationTickId = 10;
    public const int ExceptionThrownId = 80;
    public const int ContentionStartId = 81;
    public const int ContentionStopId = 91;
    public const int MethodLoadVerboseId = 143;
    public const int MethodUnloadVerboseId = 144;
    public const int ModuleLoadId = 152;
    public const int ModuleUnloadId = 153;
    public const int R2RGetEntryPointId = 159;

    // Microsoft-Windows-DotNETRuntimeRundown
    public const int MethodDCStartVerboseId = 143;
    public const int MethodDCEndVerboseId = 144;
    public const int DCEndCompleteId = 146;
    public const int ModuleDCStartId = 153;
    public const int ModuleDCEndId = 154;

    // Microsoft-DotNETCore-SampleProfiler
    public const int ThreadSampleId = 0;

    // Keywords of the runtime provider.
    public const long GCKeyword = 0x1;
    public const long LoaderKeyword = 0x8;
    public const long JitKeyword = 0x10;
    public const long NGenKeyword = 0x20;
    public const long EndEnumerationKeyword = 0x40;
    public const long ExceptionKeyword = 0x8000;
    public const long ContentionKeyword = 0x4000;
    public const long CompilationDiagnosticKeyword = 0x2000000000;

    /// <summary>The keywords the rundown provider needs to enumerate loaded methods (including R2R code) and modules at session end.</summary>
    public const long DefaultRundownKeywords = 0x80020139 | NGenKeyword;

    /// <summary>Maps a provider/event id pair to the kind the profiler dispatches on; called once per metadata record.</summary>
    public static KnownEventKind Classify(string providerName, int eventId)
    {
        if (string.Equals(providerName, RuntimeProvider, StringComparison.Ordinal))
        {
            return eventId switch
            {
                GCAllocationTickId => KnownEventKind.GCAllocationTick,
                ExceptionThrownId => KnownEventKind.ExceptionThrown,
                ContentionStartId => KnownEventKind.ContentionStart,
                ContentionStopId => KnownEventKind.ContentionStop,
                MethodLoadVerboseId => KnownEventKind.MethodLoadVerbose,
                MethodUnloadVerboseId => KnownEventKind.MethodUnloadVerbose,
                ModuleLoadId => KnownEventKind.ModuleLoad,
                ModuleUnloadId => KnownEventKind.ModuleUnload,
                R2RGetEntryPointId => KnownEventKind.R2RGetEntryPoint,
                _ => KnownEventKind.Unknown,
            };
        }

        if (string.Equals(providerName, RundownProvider, StringComparison.Ordinal))
        {
            return eventId switch
            {
                MethodDCStartVerboseId => KnownEventKind.RundownMethodDCStartVerbose,
                MethodDCEndVerboseId => KnownEventKind.RundownMethodDCEndVerbose,
                DCEndCompleteId => KnownEventKind.RundownDCEndComplete,
                ModuleDCStartId => KnownEventKind.RundownModuleDCStart,
                ModuleDCEndId => KnownEventKind.RundownModuleDCEnd,
                _ => KnownEventKind.Unknown,
            };
        }

        if (string.Equals(providerName, SampleProfilerProvider, StringComparison.Ordinal) && eventId == ThreadSampleId)
        {
            return KnownEventKind.ThreadSample;
        }

        return KnownEventKind.Unknown;
    }
}
