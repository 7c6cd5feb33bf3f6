namespace OpenTelemetry.Profiling.Exporter.Delivery;

/// <summary>
/// Where the retry logic gets its time: a clock for deadlines, a way to wait and a source of jitter. Tests swap
/// it to check a retry schedule without sleeping through it.
/// </summary>
internal sealed record OtlpDelaySource(TimeProvider Clock, Func<TimeSpan, CancellationToken, Task> Delay, Func<double> Random)
{
    public static OtlpDelaySource System { get; } = new(TimeProvider.System, Task.Delay, global::System.Random.Shared.NextDouble);
}
