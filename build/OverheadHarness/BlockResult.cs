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
    double PeerSeconds)
{
    public double Throughput => this.Requests / this.Seconds;

    /// <summary>Gets the CPU time left to the application: the process's, less the profiler's and EventPipe's threads.</summary>
    public double AppCpuSeconds => this.CpuSeconds - this.ProfilerThreadCpuSeconds - this.EventPipeThreadCpuSeconds;

    public double CpuPerRequestMicroseconds => this.CpuSeconds * 1e6 / Math.Max(1, this.Requests);
}
