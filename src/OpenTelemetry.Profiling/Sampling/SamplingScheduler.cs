using OpenTelemetry.Profiling.Diagnostics;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Runs the runtime's sampler in windows. The runtime suspends every managed thread about once a millisecond
/// while a sampling session is on, which costs several percent of throughput on a saturated machine, and a
/// library cannot lower that rate for its own process. So the sampler session is switched on for
/// <see cref="ProfilingOptions.SamplingWindow"/> and off for the rest of each cycle; the method session and
/// the span tracker stay on throughout, so every window is named and correlated. When the process leaves CPU
/// headroom, windows come more often (up to four times the configured duty cycle), since sampling then costs
/// about four times less.
/// </summary>
internal sealed class SamplingScheduler : IDisposable
{
    private readonly Func<EventPipeSessionRunner> startSampler;
    private readonly TimeSpan window;
    private readonly double dutyCycle;
    private readonly ManualResetEventSlim stopRequested = new(false);
    private readonly Lock gate = new();
    private readonly (DateTime Start, DateTime End)[] recentWindows = new (DateTime, DateTime)[64];
    private int recentWindowCount;
    private DateTime currentWindowStart;
    private EventPipeSessionRunner? current;
    private Thread? thread;
    private bool stopped;

    private readonly Action<int> excludeThread;

    private readonly Action<bool>? samplingChanged;

    public SamplingScheduler(Func<EventPipeSessionRunner> startSampler, TimeSpan window, double dutyCycle, Action<int> excludeThread, Action<bool>? samplingChanged = null)
    {
        this.samplingChanged = samplingChanged;
        this.excludeThread = excludeThread;
        this.startSampler = startSampler;
        this.window = window;
        this.dutyCycle = dutyCycle;
        this.CurrentDutyCycle = dutyCycle;
    }

    /// <summary>Gets the duty cycle in force for the current cycle (the configured one, raised when there is CPU headroom).</summary>
    public double CurrentDutyCycle { get; private set; }

    public bool IsContinuous => this.dutyCycle >= 1;

    /// <summary>Opens the first window now (so that an unavailable EventPipe surfaces to the caller), then cycles in the background.</summary>
    public void Start()
    {
        this.samplingChanged?.Invoke(true);
        this.current = this.startSampler();
        this.currentWindowStart = DateTime.UtcNow;
        if (this.IsContinuous)
        {
            return;
        }

        this.thread = ProfilerThread.Start("SamplingScheduler", this.excludeThread, this.Cycle);
    }

    /// <summary>Stops sampling; what the runtime buffered is delivered before this returns (bounded by <paramref name="timeout"/>).</summary>
    public void Stop(TimeSpan timeout)
    {
        lock (this.gate)
        {
            this.stopped = true;
        }

        this.stopRequested.Set();
        this.thread?.Join(timeout);
        EventPipeSessionRunner? last;
        lock (this.gate)
        {
            last = this.current;
            this.current = null;
        }

        last?.Stop(timeout);
        last?.Dispose();
    }

    public void Dispose()
    {
        this.Stop(TimeSpan.FromSeconds(3));
        this.stopRequested.Dispose();
    }

    /// <summary>
    /// The duty cycle for the next cycle, from the share of the machine's cores this process used in the last one:
    /// at 75 % or more, the configured value; at 25 % or less, four times it; linear in between; never above 1.
    /// </summary>
    internal static double AdaptiveDutyCycle(double configured, double processCpuShare)
    {
        double factor = processCpuShare >= 0.75 ? 1 : processCpuShare <= 0.25 ? 4 : 1 + (3 * (0.75 - processCpuShare) / 0.5);
        return Math.Min(1, configured * factor);
    }

    private void Cycle()
    {
        try
        {
            var cpuBefore = Environment.CpuUsage.TotalTime;
            long wallBefore = System.Diagnostics.Stopwatch.GetTimestamp();
            while (true)
            {
                if (this.stopRequested.Wait(this.window))
                {
                    return;
                }

                this.CloseWindow();
                var off = (this.window / this.CurrentDutyCycle) - this.window;
                if (this.stopRequested.Wait(off))
                {
                    return;
                }

                var cpuNow = Environment.CpuUsage.TotalTime;
                long wallNow = System.Diagnostics.Stopwatch.GetTimestamp();
                double wall = System.Diagnostics.Stopwatch.GetElapsedTime(wallBefore, wallNow).TotalSeconds;
                double share = wall <= 0 ? 1 : (cpuNow - cpuBefore).TotalSeconds / (wall * Environment.ProcessorCount);
                this.CurrentDutyCycle = AdaptiveDutyCycle(this.dutyCycle, share);
                (cpuBefore, wallBefore) = (cpuNow, wallNow);

                lock (this.gate)
                {
                    if (this.stopped)
                    {
                        return;
                    }

                    this.samplingChanged?.Invoke(true);
                    this.current = this.startSampler();
                    this.currentWindowStart = DateTime.UtcNow;
                }
            }
        }
        catch (Exception ex)
        {
            // Sampling stops; the rest of the profiler (and the app) goes on.
            ProfilingEventSource.Log.ConsumerFailed("Sampling scheduler", ex);
        }
    }

    /// <summary>Tells whether a sampling window was open at some point between the two times (recent windows only).</summary>
    public bool OverlapsSampling(DateTime startUtc, DateTime endUtc)
    {
        lock (this.gate)
        {
            if (this.current is not null && endUtc >= this.currentWindowStart)
            {
                return true;
            }

            for (int i = 0; i < Math.Min(this.recentWindowCount, this.recentWindows.Length); i++)
            {
                var (start, end) = this.recentWindows[i];
                if (startUtc <= end && endUtc >= start)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private void CloseWindow()
    {
        EventPipeSessionRunner? closing;
        lock (this.gate)
        {
            closing = this.current;
            this.current = null;
            this.recentWindows[this.recentWindowCount++ % this.recentWindows.Length] = (this.currentWindowStart, DateTime.UtcNow);
        }

        closing?.Stop(TimeSpan.FromSeconds(3));
        closing?.Dispose();

        // The window's samples have all been consumed once its session has stopped.
        this.samplingChanged?.Invoke(false);
    }
}
