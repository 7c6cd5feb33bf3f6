namespace OpenTelemetry.Profiling;

/// <summary>Where CPU samples come from (see <see cref="ProfilingOptions.CpuSampler"/>).</summary>
public enum CpuSampler
{
    /// <summary>
    /// The native sampler where it is available (Linux x64 and Arm64), else the runtime's sampler in windows; a
    /// fallback on Linux x64/Arm64 is a self-diagnostics warning, elsewhere information.
    /// </summary>
    Auto = 0,

    /// <summary>
    /// The profiler's native sampler (Linux x64 and Arm64): each thread is sampled by a timer on its own CPU
    /// clock, continuously, without suspending the runtime. When it is not available, profiling falls back to
    /// <see cref="Runtime"/> and says so in self-diagnostics at warning level, on any platform.
    /// </summary>
    Native = 1,

    /// <summary>The runtime's sample profiler (EventPipe), in duty-cycled windows: every platform, higher cost per sample.</summary>
    Runtime = 2,
}
