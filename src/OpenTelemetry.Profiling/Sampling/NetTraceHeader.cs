namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// The nettrace "Trace" object: the clock anchor every event timestamp is interpreted against.
/// </summary>
/// <remarks>
/// Event timestamps are raw QPC ticks of the traced process (on Linux, CLOCK_MONOTONIC nanoseconds, the same
/// clock as <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>). The sync pair (UTC, QPC) is what converts
/// them to wall-clock time without a per-event system call.
/// </remarks>
internal readonly struct NetTraceHeader
{
    public NetTraceHeader(int formatVersion, DateTime syncTimeUtc, long syncTimeQpc, long qpcFrequency, int pointerSize, int processId, int processorCount, int expectedCpuSamplingRateNs)
    {
        FormatVersion = formatVersion;
        SyncTimeUtc = syncTimeUtc;
        SyncTimeQpc = syncTimeQpc;
        QpcFrequency = qpcFrequency;
        PointerSize = pointerSize;
        ProcessId = processId;
        ProcessorCount = processorCount;
        ExpectedCpuSamplingRateNs = expectedCpuSamplingRateNs;
    }

    /// <summary>Version of the Trace object (4 for the NetTrace V4/V5 layout the runtime writes).</summary>
    public int FormatVersion { get; }

    public DateTime SyncTimeUtc { get; }

    public long SyncTimeQpc { get; }

    public long QpcFrequency { get; }

    /// <summary>Width of stack addresses and pointer-sized payload fields (4 or 8).</summary>
    public int PointerSize { get; }

    public int ProcessId { get; }

    public int ProcessorCount { get; }

    /// <summary>The SampleProfiler period the runtime announced, in nanoseconds.</summary>
    public int ExpectedCpuSamplingRateNs { get; }

    /// <summary>Converts an event timestamp to UTC using the session's sync point.</summary>
    public DateTime QpcToUtc(long timestampQpc)
    {
        long delta = timestampQpc - SyncTimeQpc;
        long ticks = QpcFrequency == TimeSpan.TicksPerSecond
            ? delta
            : (long)(delta * ((double)TimeSpan.TicksPerSecond / QpcFrequency));
        return SyncTimeUtc.AddTicks(ticks);
    }
}
