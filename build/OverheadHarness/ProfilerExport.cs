namespace OverheadHarness;

/// <summary>What one profiling set-up exported between its creation and its disposal.</summary>
/// <param name="LifetimeSeconds">Wall time from creating the SDK to the end of its disposal.</param>
/// <param name="CpuSeconds">Process CPU time over the same span.</param>
/// <param name="Bytes">Protobuf bytes of the export requests received.</param>
/// <param name="Requests">Export requests received.</param>
/// <param name="Samples">Samples in the received CPU profiles (other profile types are not counted).</param>
/// <param name="BlockSamples">Samples in the received CPU profiles whose interval began in the measured block.</param>
/// <param name="BlockProfilesCpuSeconds">Process CPU time during those profiles' intervals (read every 100 ms).</param>
/// <param name="BlockProfilesUserCpuSeconds">User-mode CPU time during the same intervals.</param>
internal sealed record ProfilerExport(double LifetimeSeconds, double CpuSeconds, long Bytes, int Requests, long Samples, long BlockSamples, double BlockProfilesCpuSeconds = 0, double BlockProfilesUserCpuSeconds = 0);
