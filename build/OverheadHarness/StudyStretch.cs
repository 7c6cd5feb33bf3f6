namespace OverheadHarness;

/// <summary>One stretch of the window study: the profiler on with one set-up.</summary>
/// <param name="Label">The set-up it ran with (<see cref="StudyVariant.Label"/>).</param>
/// <param name="Throughput">Requests per second over the measured stretch.</param>
/// <param name="UserCpuSeconds">The process's user-mode CPU time over the measured stretch.</param>
/// <param name="Samples">CPU samples in the profiles that began within the measured stretch.</param>
internal sealed record StudyStretch(string Label, double Throughput, double UserCpuSeconds, long Samples);
