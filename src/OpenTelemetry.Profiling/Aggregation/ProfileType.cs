namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>
/// The sample and period types of one kind of profile. Pyroscope names a profile after its period type,
/// so these strings are part of the contract with backends (documented in README.md).
/// </summary>
/// <param name="Name">A short name for logs and options.</param>
/// <param name="SampleType">The sample type's type string.</param>
/// <param name="SampleUnit">The sample type's unit.</param>
/// <param name="PeriodType">The period type's type string.</param>
/// <param name="PeriodUnit">The period type's unit.</param>
/// <param name="LabelAttribute">The sample attribute that carries the sample's label (a type name), if any.</param>
/// <param name="LeavesOutIdleThreads">Whether samples with no span of threads parked waiting for work are left out.</param>
internal sealed record ProfileType(string Name, string SampleType, string SampleUnit, string PeriodType, string PeriodUnit, string? LabelAttribute = null, bool LeavesOutIdleThreads = false)
{
    /// <summary>CPU: samples taken while a thread ran managed code, counted; the period is the wall time a sampling round stands for.</summary>
    public static readonly ProfileType Cpu = new("cpu", "samples", "count", "cpu", "nanoseconds");

    /// <summary>Wall time: samples of every managed thread, running or waiting, except idle parked threads.</summary>
    public static readonly ProfileType Wall = new("wall", "samples", "count", "wall", "nanoseconds", LeavesOutIdleThreads: true);

    /// <summary>Allocated bytes, estimated from the runtime's allocation sampling (about one event per 100 KB).</summary>
    public static readonly ProfileType AllocatedBytes = new("alloc_space", "alloc_space", "bytes", "space", "bytes", "allocation.type");

    /// <summary>Allocated objects, estimated from the same sampling (each event stands for its bytes / the sampled object's size).</summary>
    public static readonly ProfileType AllocatedObjects = new("alloc_objects", "alloc_objects", "count", "space", "bytes", "allocation.type");

    /// <summary>Lock contentions: how many times a thread had to wait for a lock.</summary>
    public static readonly ProfileType LockContentions = new("lock_contentions", "contentions", "count", "lock", "nanoseconds");

    /// <summary>Lock delay: how long threads waited for locks.</summary>
    public static readonly ProfileType LockDelay = new("lock_delay", "delay", "nanoseconds", "lock", "nanoseconds");

    /// <summary>Exceptions thrown, counted by stack and type.</summary>
    public static readonly ProfileType Exceptions = new("exceptions", "exceptions", "count", "exceptions", "count", "exception.type");
}
