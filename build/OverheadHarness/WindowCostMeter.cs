using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace OverheadHarness;

/// <summary>
/// A second estimate of what sampling costs, measured inside the sampling cycle instead of between blocks. The
/// machine's throughput drifts by several percent over tens of seconds, which on/off blocks only average out
/// over many rounds; a sampling window lasts under a second, so comparing the throughput just after each window
/// opened with that of the seconds around it cancels most of the drift. Throughput is read every 100 ms; each
/// window's loss is the throughput missing from 0.2 s before it opened to 0.5 s after it closed, against the
/// mean of the 2 s before and of the 4 s after, as a share of its cycle. (A study of 162 windows on the
/// showcase found the loss confined to the window: about a quarter of the throughput from its first 100 ms to
/// its close, none in the seconds after; the per-offset profile each window keeps shows it.) It leaves out what
/// costs all the time (span tracking, the method and event sessions, export): that part is only in the on/off
/// ratio. Window openings and closings come from the profiler's own verbose events.
/// </summary>
internal sealed class WindowCostMeter : EventListener
{
    private const string ProfilerEventSource = "OpenTelemetry-Profiling";
    private const int WindowOpenedEventId = 10;
    private const int WindowClosedEventId = 11;

    /// <summary>The first windows fall in the profiler's start-up (rundown, its code tiering up): left out.</summary>
    private static readonly long StartUpTicks = 5 * Stopwatch.Frequency;
    private static readonly long BinTicks = Stopwatch.Frequency / 10;

    /// <summary>Where a window's cost is counted: from this long before it opened...</summary>
    private static readonly long AffectedBeforeOpenTicks = Stopwatch.Frequency / 5;

    /// <summary>...to this long after it closed (its session's teardown included).</summary>
    private static readonly long AffectedAfterCloseTicks = Stopwatch.Frequency / 2;
    private static readonly long BaselineBeforeTicks = 2 * Stopwatch.Frequency;
    private static readonly long BaselineAfterTicks = 4 * Stopwatch.Frequency;

    /// <summary>The span of the per-offset profile: from <see cref="AffectedBeforeOpenTicks"/> before opening to this long after.</summary>
    private static readonly long ProfileToTicks = 4 * Stopwatch.Frequency;

    /// <summary>Gets the number of 100 ms readings in a window's profile (<see cref="JudgedWindow.Profile"/>).</summary>
    public static int ProfileBins { get; } = (int)((AffectedBeforeOpenTicks + ProfileToTicks) / BinTicks);

    /// <summary>Where a profile's reading ends, relative to the window's opening.</summary>
    public static TimeSpan ProfileReadingEnd(int bin) => TimeSpan.FromSeconds(((bin + 1) * BinTicks - AffectedBeforeOpenTicks) / (double)Stopwatch.Frequency);

    private readonly Lock gate = new();
    private readonly List<(long Opened, long Closed, int PlannedMs)> windows = [];
    private long lastOpened;
    private int lastPlannedMs;
    private readonly List<(long Time, long Completed)> readings = [];
    private readonly List<(long Start, long End, string Label)> profiled = [];
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

    /// <summary>
    /// Marks its end; windows are judged only when their whole neighbourhood lies inside one such span. The
    /// label groups spans run with the same set-up (the window study compares several).
    /// </summary>
    public void ProfilerStopped(string label = "")
    {
        lock (this.gate)
        {
            this.profiled.Add((this.profilerStarted, Stopwatch.GetTimestamp(), label));
        }
    }

    /// <summary>Stops reading; returns each judged window's throughput loss as a share of its cycle, with its span's label.</summary>
    public async Task<IReadOnlyList<JudgedWindow>> StopAsync()
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
        if (eventData.EventSource.Name != ProfilerEventSource)
        {
            return;
        }

        long now = Stopwatch.GetTimestamp();
        lock (this.gate)
        {
            if (eventData.EventId == WindowOpenedEventId)
            {
                this.lastOpened = now;
                this.lastPlannedMs = eventData.Payload is [int plannedMs, ..] ? plannedMs : 0;
            }
            else if (eventData.EventId == WindowClosedEventId && this.lastOpened != 0)
            {
                // Written once the window's session has stopped: the runtime samples until then.
                this.windows.Add((this.lastOpened, now, this.lastPlannedMs));
                this.lastOpened = 0;
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

    private List<JudgedWindow> Losses()
    {
        var losses = new List<JudgedWindow>();
        foreach (var (start, end, label) in this.profiled)
        {
            var mine = this.windows.Where(window => window.Opened >= start && window.Closed < end).ToList();
            for (int i = 0; i < mine.Count && mine.Count >= 2; i++)
            {
                var (open, close, plannedMs) = mine[i];
                long cycle = i > 0 ? open - mine[i - 1].Opened : mine[1].Opened - open;
                long from = open - AffectedBeforeOpenTicks;
                long to = close + AffectedAfterCloseTicks;
                long last = Math.Max(to + BaselineAfterTicks, open + ProfileToTicks);
                if (from - BaselineBeforeTicks < start + StartUpTicks || last > end)
                {
                    continue;
                }

                if (this.Loss(open, from, to, last) is { } loss)
                {
                    losses.Add(new JudgedWindow(label, loss.Ticks / cycle, TimeSpan.FromMilliseconds(plannedMs), TimeSpan.FromSeconds((close - open) / (double)Stopwatch.Frequency), loss.Profile));
                }
            }
        }

        return losses;
    }

    /// <summary>
    /// The throughput missing from <paramref name="from"/> to <paramref name="to"/> (readings that end in that
    /// span), in ticks of full-speed time, and the share missing in each 100 ms reading by its offset from the
    /// window's opening (NaN where no reading ended); null without enough readings. Readings up to
    /// <paramref name="last"/> are looked at.
    /// </summary>
    private (double Ticks, double[] Profile)? Loss(long open, long from, long to, long last)
    {
        double baselineCount = 0;
        long baselineTicks = 0;
        var inRange = new List<(double Rate, long Ticks, long Time, bool Affected)>();
        for (int i = 1; i < this.readings.Count; i++)
        {
            var (time, count) = this.readings[i];
            var (previousTime, previousCount) = this.readings[i - 1];
            long ticks = time - previousTime;
            if (ticks <= 0 || ticks > 3 * BinTicks || time <= from - BaselineBeforeTicks || time > last)
            {
                continue;
            }

            bool affected = time > from && time <= to;
            if (!affected && time <= to + BaselineAfterTicks)
            {
                baselineCount += count - previousCount;
                baselineTicks += ticks;
            }

            inRange.Add(((count - previousCount) / (double)ticks, ticks, time, affected));
        }

        int affectedReadings = inRange.Count(reading => reading.Affected);
        if (baselineTicks < 4 * Stopwatch.Frequency || affectedReadings < (to - from) / BinTicks * 3 / 4 || baselineCount <= 0)
        {
            return null;
        }

        double baseline = baselineCount / baselineTicks;
        var profile = new double[ProfileBins];
        Array.Fill(profile, double.NaN);
        foreach (var (rate, _, time, _) in inRange)
        {
            long offset = time - (open - AffectedBeforeOpenTicks);
            if (offset > 0 && offset <= AffectedBeforeOpenTicks + ProfileToTicks)
            {
                profile[Math.Min(profile.Length - 1, (int)((offset - 1) / BinTicks))] = 1 - (rate / baseline);
            }
        }

        return (inRange.Where(reading => reading.Affected).Sum(reading => (1 - (reading.Rate / baseline)) * reading.Ticks), profile);
    }
}
