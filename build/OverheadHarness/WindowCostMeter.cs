using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace OverheadHarness;

/// <summary>
/// A second estimate of what sampling costs, measured inside the sampling cycle instead of between blocks. The
/// machine's throughput drifts by several percent over tens of seconds, which on/off blocks only average out
/// over many rounds; a sampling window lasts under a second, so comparing the throughput just after each window
/// opened with that of the seconds around it cancels most of the drift. Throughput is read every 100 ms; each
/// window's loss is the throughput missing from 0.2 s before it opened to 4 s after (the window, its session's
/// teardown, the recovery), against the mean of the 2 s before and of 4-8 s after, as a share of its cycle.
/// It leaves out what costs all the time (span tracking, the method and event sessions, export): that part is
/// only in the on/off ratio. Window openings come from the profiler's own verbose event.
/// </summary>
internal sealed class WindowCostMeter : EventListener
{
    private const string ProfilerEventSource = "OpenTelemetry-Profiling";
    private const int WindowOpenedEventId = 10;

    /// <summary>The first windows fall in the profiler's start-up (rundown, its code tiering up): left out.</summary>
    private static readonly long StartUpTicks = 5 * Stopwatch.Frequency;
    private static readonly long BinTicks = Stopwatch.Frequency / 10;
    private static readonly long AffectedFromTicks = -Stopwatch.Frequency / 5;
    private static readonly long AffectedToTicks = 4 * Stopwatch.Frequency;
    private static readonly long BaselineBeforeTicks = AffectedFromTicks - (2 * Stopwatch.Frequency);
    private static readonly long BaselineAfterTicks = 8 * Stopwatch.Frequency;

    private readonly Lock gate = new();
    private readonly List<long> opened = [];
    private readonly List<(long Time, long Completed)> readings = [];
    private readonly List<(long Start, long End)> profiled = [];
    private readonly CancellationTokenSource stop = new();
    private Func<long>? completed;
    private Task? poller;
    private long profilerStarted;

    /// <summary>Starts reading <paramref name="completedSoFar"/> every 100 ms.</summary>
    public void Start(Func<long> completedSoFar)
    {
        this.completed = completedSoFar;
        this.poller = Task.Run(this.PollAsync);
    }

    /// <summary>Marks the start of a span of time the profiler runs (an "on" block with its settling).</summary>
    public void ProfilerStarted() => this.profilerStarted = Stopwatch.GetTimestamp();

    /// <summary>Marks its end; windows are judged only when their whole neighbourhood lies inside one such span.</summary>
    public void ProfilerStopped()
    {
        lock (this.gate)
        {
            this.profiled.Add((this.profilerStarted, Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>Stops reading; returns each judged window's throughput loss as a share of its cycle.</summary>
    public async Task<IReadOnlyList<double>> StopAsync()
    {
        await this.stop.CancelAsync();
        if (this.poller is not null)
        {
            await this.poller;
        }

        lock (this.gate)
        {
            return this.Losses();
        }
    }

    public override void Dispose()
    {
        // Also when StopAsync was never reached (the run failed): the poller must not outlive the token.
        this.stop.Cancel();
        this.poller?.Wait(TimeSpan.FromSeconds(1));
        this.stop.Dispose();
        base.Dispose();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == ProfilerEventSource)
        {
            this.EnableEvents(eventSource, EventLevel.Verbose);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId == WindowOpenedEventId && eventData.EventSource.Name == ProfilerEventSource)
        {
            long now = Stopwatch.GetTimestamp();
            lock (this.gate)
            {
                this.opened.Add(now);
            }
        }
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(TimeSpan.TicksPerSecond / 10));
        try
        {
            do
            {
                long now = Stopwatch.GetTimestamp();
                long count = this.completed!();
                lock (this.gate)
                {
                    this.readings.Add((now, count));
                }
            }
            while (await timer.WaitForNextTickAsync(this.stop.Token));
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private List<double> Losses()
    {
        var losses = new List<double>();
        foreach (var (start, end) in this.profiled)
        {
            var opens = this.opened.Where(t => t >= start && t < end).ToList();
            for (int i = 0; i < opens.Count && opens.Count >= 2; i++)
            {
                long open = opens[i];
                long cycle = i > 0 ? opens[i] - opens[i - 1] : opens[1] - opens[0];
                if (open + BaselineBeforeTicks < start + StartUpTicks || open + BaselineAfterTicks > end)
                {
                    continue;
                }

                if (this.Loss(open) is { } lostTicks)
                {
                    losses.Add(lostTicks / cycle);
                }
            }
        }

        return losses;
    }

    /// <summary>The throughput missing around one window, in ticks of full-speed time; null without enough readings.</summary>
    private double? Loss(long open)
    {
        double baselineCount = 0;
        long baselineTicks = 0;
        var affected = new List<(double Rate, long Ticks)>();
        for (int i = 1; i < this.readings.Count; i++)
        {
            var (time, count) = this.readings[i];
            var (previousTime, previousCount) = this.readings[i - 1];
            long ticks = time - previousTime;
            long offset = time - open;
            if (ticks <= 0 || ticks > 3 * BinTicks || offset <= BaselineBeforeTicks || offset > BaselineAfterTicks)
            {
                continue;
            }

            if (offset > AffectedFromTicks && offset <= AffectedToTicks)
            {
                affected.Add(((count - previousCount) / (double)ticks, ticks));
            }
            else
            {
                baselineCount += count - previousCount;
                baselineTicks += ticks;
            }
        }

        if (baselineTicks < 4 * Stopwatch.Frequency || affected.Count < 30 || baselineCount <= 0)
        {
            return null;
        }

        double baseline = baselineCount / baselineTicks;
        return affected.Sum(bin => (1 - (bin.Rate / baseline)) * bin.Ticks);
    }
}
