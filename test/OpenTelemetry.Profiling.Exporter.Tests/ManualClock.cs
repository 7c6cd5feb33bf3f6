namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>A clock that moves only when told to: retry schedules are checked without sleeping through them.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref this.ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref this.ticks, by.Ticks);
}
