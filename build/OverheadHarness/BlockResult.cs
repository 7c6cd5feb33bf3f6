namespace OverheadHarness;

/// <summary>What one measured block saw.</summary>
/// <param name="Mode">What ran next to the workload.</param>
/// <param name="Requests">Requests completed during the block.</param>
/// <param name="Seconds">The block's wall-clock length.</param>
/// <param name="P50Milliseconds">Median request latency.</param>
/// <param name="P99Milliseconds">99th percentile request latency.</param>
/// <param name="CpuSeconds">Process CPU time (user and kernel) during the block.</param>
/// <param name="UserCpuSeconds">The user-mode part of <paramref name="CpuSeconds"/>.</param>
/// <param name="RssMegabytes">Mean resident set size during the block.</param>
/// <param name="ProfilerThreadCpuSeconds">CPU time of the profiler's own threads during the block.</param>
/// <param name="EventPipeThreadCpuSeconds">CPU time of the runtime's EventPipe threads (sampler, streaming) during the block.</param>
/// <param name="Profiler">What the profiler exported over its whole life, for "on" blocks.</param>
/// <param name="PeerTraceBytes">Size of the trace file dotnet-trace wrote, for "peer" blocks.</param>
/// <param name="PeerSeconds">How long dotnet-trace was attached, for "peer" blocks.</param>
/// <param name="AllocatedBytes">Bytes the process allocated on the managed heap during the block.</param>
/// <param name="Collections">Garbage collections (all generations) during the block.</param>
/// <param name="GcPauseSeconds">Time the runtime was paused for garbage collection during the block.</param>
internal sealed record BlockResult(
    BlockMode Mode,
    long Requests,
    double Seconds,
    double P50Milliseconds,
    double P99Milliseconds,
    double CpuSeconds,
    double UserCpuSeconds,
    double RssMegabytes,
    double ProfilerThreadCpuSeconds,
    double EventPipeThreadCpuSeconds,
    ProfilerExport? Profiler,
    long PeerTraceBytes,
    double PeerSeconds,
    long AllocatedBytes = 0,
    int Collections = 0,
    double GcPauseSeconds = 0)
{
    public double Throughput => this.Requests / this.Seconds;

    /// <summary>Gets the CPU time left to the application: the process's, less the profiler's and EventPipe's threads.</summary>
    public double AppCpuSeconds => this.CpuSeconds - this.ProfilerThreadCpuSeconds - this.EventPipeThreadCpuSeconds;

    public double CpuPerRequestMicroseconds => this.CpuSeconds * 1e6 / Math.Max(1, this.Requests);

    public double AllocatedBytesPerRequest => (double)this.AllocatedBytes / Math.Max(1, this.Requests);
}
