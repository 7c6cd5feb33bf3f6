namespace OpenTelemetry.Profiling.Sampling;

/// <summary>Payload of ContentionStop (runtime provider, id 91); the wait duration is measured by the runtime from version 1 on.</summary>
internal readonly struct ContentionStopData
{
    public byte ContentionFlags { get; init; }

    public ushort ClrInstanceId { get; init; }

    /// <summary>Time spent waiting, in nanoseconds; NaN before version 1.</summary>
    public double DurationNs { get; init; }
}
