namespace OpenTelemetry.Profiling.Configuration;

/// <summary>
/// Environment variables of the profiler itself. The OTLP exporter's variables
/// (<c>OTEL_EXPORTER_OTLP_*</c>, per https://opentelemetry.io/docs/specs/otel/protocol/exporter/) live with the exporter.
/// </summary>
internal static class ProfilingEnvironmentVariables
{
    public const string Enabled = "OTEL_DOTNET_PROFILING_ENABLED";
    public const string ExportInterval = "OTEL_DOTNET_PROFILING_EXPORT_INTERVAL";
    public const string MaxStacks = "OTEL_DOTNET_PROFILING_MAX_STACKS";
    public const string SamplingWindow = "OTEL_DOTNET_PROFILING_SAMPLING_WINDOW";
    public const string SamplingDutyCycle = "OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE";
    public const string TargetSamplesPerCpuSecond = "OTEL_DOTNET_PROFILING_TARGET_SAMPLES_PER_CPU_SECOND";
    public const string CpuSampler = "OTEL_DOTNET_PROFILING_CPU_SAMPLER";
    public const string PyroscopeProfileId = "OTEL_DOTNET_PROFILING_PYROSCOPE_PROFILE_ID";
    public const string WallEnabled = "OTEL_DOTNET_PROFILING_WALL_ENABLED";
    public const string AllocationsEnabled = "OTEL_DOTNET_PROFILING_ALLOCATIONS_ENABLED";
    public const string LockContentionEnabled = "OTEL_DOTNET_PROFILING_LOCK_CONTENTION_ENABLED";
    public const string ExceptionsEnabled = "OTEL_DOTNET_PROFILING_EXCEPTIONS_ENABLED";

    /// <summary>The runtime's own sampling period (milliseconds, in hexadecimal), read by the runtime at process start only.</summary>
    public const string RuntimeSamplingRate = "DOTNET_EventPipeThreadSamplingRate";
}
