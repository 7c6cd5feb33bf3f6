namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>
/// The sample and period types of one kind of profile. Pyroscope names a profile after its period type,
/// so these strings are part of the contract with backends (documented in README.md).
/// </summary>
internal sealed record ProfileType(string Name, string SampleType, string SampleUnit, string PeriodType, string PeriodUnit)
{
    /// <summary>CPU: samples taken while a thread ran managed code, counted; the period is the sampling interval.</summary>
    public static readonly ProfileType Cpu = new("cpu", "samples", "count", "cpu", "nanoseconds");
}
