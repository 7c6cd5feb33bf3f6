using OpenTelemetry.Profiling.Exporter.Delivery;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>
/// A delay source whose waits return at once, record how long they were asked to be and move a
/// <see cref="ManualClock"/> on by as much, so deadlines behave as if the time had passed.
/// </summary>
internal sealed class RecordedDelays
{
    private readonly List<TimeSpan> delays = [];

    public RecordedDelays(double random = 1.0)
    {
        this.Source = new OtlpDelaySource(this.Clock, this.DelayAsync, () => random);
    }

    public ManualClock Clock { get; } = new();

    public OtlpDelaySource Source { get; }

    public IReadOnlyList<double> Milliseconds
    {
        get
        {
            lock (this.delays)
            {
                return [.. this.delays.Select(d => Math.Round(d.TotalMilliseconds))];
            }
        }
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        lock (this.delays)
        {
            this.delays.Add(delay);
        }

        this.Clock.Advance(delay);
        return Task.CompletedTask;
    }
}
