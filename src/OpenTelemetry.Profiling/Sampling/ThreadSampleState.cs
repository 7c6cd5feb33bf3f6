namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// The 4-byte payload of SampleProfiler ThreadSample (id 0): what the sampled thread was doing. The profiler
/// samples every managed thread, so "external" samples (blocked or in native code) are what separates wall time
/// from CPU-ish time.
/// </summary>
internal enum ThreadSampleState
{
    Error = 0,

    /// <summary>Outside managed code (native code, blocked in the OS, preemptive mode).</summary>
    External = 1,

    /// <summary>Running managed code (cooperative mode).</summary>
    Managed = 2,
}
