using OpenTelemetry.Profiling.Diagnostics;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Runs the runtime's sampler in windows. The runtime suspends every managed thread about once a millisecond
/// while a sampling session is on, which costs several percent of throughput on a saturated machine, and a
/// library cannot lower that rate for its own process. So the sampler session is switched on for one window per
/// cycle of <see cref="ProfilingOptions.SamplingWindow"/> ÷ <see cref="ProfilingOptions.SamplingDutyCycle"/>
/// and off for the rest; the method session and the span tracker stay on throughout, so every window is named
/// and correlated.
/// <para>
/// The window's length is decided afresh each cycle. With a target rate of CPU samples per CPU-second, the
/// scheduler measures what the last window gave per user-mode CPU-second of the process and takes just the share
/// of the cycle that reaches the target, never more than the configured duty cycle. User mode, because kernel
/// time (system calls, socket I/O) never yields a CPU sample: the runtime reports a thread in a system call as
/// not running managed code, so counting it would make a kernel-heavy process pay for rounds that resolve
/// nothing more of its managed code. Each round walks every managed thread, so a process with many threads
/// gets its samples with shorter windows instead of paying more. When
/// the process leaves CPU headroom the window grows (up to four times), since sampling then costs about four
/// times less.
/// </para>
/// </summary>
internal sealed class SamplingScheduler : IDisposable
{
    /// <summary>The shortest share of a cycle a window takes when the target is reached with less.</summary>
    public const double MinDutyCycle = 0.01;

    /// <summary>Below this many CPU samples or this much user-mode CPU in a window, its rate is not trusted.</summary>
    private const long MinSamplesForRate = 20;
    private static readonly TimeSpan MinCpuForRate = TimeSpan.FromMilliseconds(50);

    private readonly Func<EventPipeSessionRunner> startSampler;
    private readonly TimeSpan cycle;
    private readonly double dutyCycle;
    private readonly int targetSamplesPerCpuSecond;
    private readonly Func<long> cpuSamples;
    private readonly ManualResetEventSlim stopRequested = new(false);
    private readonly Lock gate = new();
    private readonly SamplingWindowHistory recentWindows = new(64);
    private readonly Action<int> excludeThread;
    private readonly Action<bool>? samplingChanged;
    private DateTime currentWindowStart;
    private EventPipeSessionRunner? current;
    private Thread? thread;
    private bool stopped;

    /// <param name="startSampler">Starts a sampler session (one per window).</param>
    /// <param name="cycle">The cycle's length: one window opens per cycle (<see cref="ProfilingOptions.SamplingCycle"/>, or <see cref="ProfilingOptions.WallCycleWithNativeCpu"/> for wall-only windows).</param>
    /// <param name="dutyCycle">The share of each cycle sampled at saturation (the ceiling when a target is set).</param>
    /// <param name="targetSamplesPerCpuSecond">CPU samples per user-mode CPU-second of the process to aim for; 0 for a fixed duty cycle.</param>
    /// <param name="cpuSamples">The number of CPU samples taken so far (read after each window).</param>
    /// <param name="excludeThread">Registers the scheduler's own thread as the profiler's.</param>
    /// <param name="samplingChanged">Told when a window opens (true) and when its samples have all been consumed (false).</param>
    public SamplingScheduler(Func<EventPipeSessionRunner> startSampler, TimeSpan cycle, double dutyCycle, int targetSamplesPerCpuSecond, Func<long> cpuSamples, Action<int> excludeThread, Action<bool>? samplingChanged = null)
    {
        this.startSampler = startSampler;
        this.cycle = cycle;
        this.dutyCycle = dutyCycle;
        this.targetSamplesPerCpuSecond = targetSamplesPerCpuSecond;
        this.cpuSamples = cpuSamples;
        this.excludeThread = excludeThread;
        this.samplingChanged = samplingChanged;
        this.CurrentDutyCycle = dutyCycle;
    }

    /// <summary>
    /// Gets how long after <see cref="Start"/> the first cycle begins (default none: the window Start opens is the
    /// first cycle's). With a delay, the window Start opens closes after its planned length, and the cycles'
    /// windows open from the delay on. Half an export interval, with a cycle of whole export intervals, starts
    /// the windows halfway between exports, so neither adds its pause to the other's.
    /// </summary>
    public TimeSpan FirstWindowDelay { get; init; }

    /// <summary>Gets the duty cycle in force for the current cycle (steered by the target and by CPU headroom).</summary>
    public double CurrentDutyCycle { get; private set; }

    /// <summary>
    /// Gets the CPU samples per user-mode CPU-second the last window gave, against the cycle's average user-mode
    /// CPU use over the window's length (NaN until known).
    /// </summary>
    public double LastWindowSamplesPerCpuSecond { get; private set; } = double.NaN;

    public bool IsContinuous => this.dutyCycle >= 1;

    /// <summary>Opens the first window now (so that an unavailable EventPipe surfaces to the caller), then cycles in the background.</summary>
    public void Start()
    {
        this.OpenWindow(this.cycle * this.CurrentDutyCycle);
        if (this.IsContinuous)
        {
            return;
        }

        this.thread = ProfilerThread.Start("SamplingScheduler", this.excludeThread, this.Cycle, "window");
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
        this.StopCurrentWindow(timeout);
    }

    public void Dispose()
    {
        this.Stop(TimeSpan.FromSeconds(3));

        // A scheduler thread still closing a slow window waits on the event next; it ends on its own.
        if (this.thread is not { IsAlive: true })
        {
            this.stopRequested.Dispose();
        }
    }

    /// <summary>
    /// The duty cycle for the next cycle. The base is the configured duty cycle or, with a target, the share of
    /// time that reaches the target at the rate the last window measured (within <see cref="MinDutyCycle"/> and
    /// the configured value; the configured value while the rate is unknown). Then the CPU headroom raises it:
    /// at a process CPU share (of all cores) of 75 % or more, no change; at 25 % or less, four times; linear in
    /// between; never above 1.
    /// </summary>
    internal static double NextDutyCycle(double configured, int targetSamplesPerCpuSecond, double samplesPerCpuSecond, double processCpuShare)
    {
        double baseDuty = configured;
        if (targetSamplesPerCpuSecond > 0 && samplesPerCpuSecond > 0)
        {
            baseDuty = Math.Clamp(targetSamplesPerCpuSecond / samplesPerCpuSecond, Math.Min(MinDutyCycle, configured), configured);
        }

        double factor = processCpuShare >= 0.75 ? 1 : processCpuShare <= 0.25 ? 4 : 1 + (3 * (0.75 - processCpuShare) / 0.5);
        return Math.Min(1, baseDuty * factor);
    }

    private void Cycle()
    {
        try
        {
            if (this.FirstWindowDelay > TimeSpan.Zero && !this.IsContinuous)
            {
                // The window Start opened (so that an unavailable EventPipe surfaced at once) gets its planned
                // length only; the cycles begin after the delay. Left open through the delay, it sampled every
                // thread every millisecond for the first half cycle.
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                if (this.stopRequested.Wait(this.cycle * this.CurrentDutyCycle))
                {
                    return;
                }

                this.CloseWindow();
                var untilFirst = this.FirstWindowDelay - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (this.stopRequested.Wait(untilFirst > TimeSpan.Zero ? untilFirst : TimeSpan.Zero))
                {
                    return;
                }

                lock (this.gate)
                {
                    if (this.stopped)
                    {
                        return;
                    }

                    this.OpenWindow(this.cycle * this.CurrentDutyCycle);
                }
            }

            // CPU time (all, and user mode) and wall clock when the current cycle (and its window) began.
            var cpuStart = Environment.CpuUsage;
            var (cycleCpuStart, cycleUserCpuStart) = (cpuStart.TotalTime, cpuStart.UserTime);
            long cycleStart = System.Diagnostics.Stopwatch.GetTimestamp();
            long windowSamplesStart = this.cpuSamples();
            var windowLength = this.cycle * this.CurrentDutyCycle;
            while (true)
            {
                long windowOpened = System.Diagnostics.Stopwatch.GetTimestamp();
                if (this.stopRequested.Wait(windowLength))
                {
                    return;
                }

                if (this.CurrentDutyCycle < 1)
                {
                    this.CloseWindow();
                }

                // What the window gave: all of it once its session has stopped (a window kept open for the next
                // cycle leaves out the last ~200 ms still on their way, a small bias).
                long windowSamples = this.cpuSamples() - windowSamplesStart;

                // Cycles keep their length whatever closing the window took, so each cycle has exactly one window.
                var rest = this.cycle - System.Diagnostics.Stopwatch.GetElapsedTime(windowOpened);
                if (this.stopRequested.Wait(rest > TimeSpan.Zero ? rest : TimeSpan.Zero))
                {
                    return;
                }

                var cpuNow = Environment.CpuUsage;
                long now = System.Diagnostics.Stopwatch.GetTimestamp();
                double wall = System.Diagnostics.Stopwatch.GetElapsedTime(cycleStart, now).TotalSeconds;
                double share = wall <= 0 ? 1 : (cpuNow.TotalTime - cycleCpuStart).TotalSeconds / (wall * Environment.ProcessorCount);

                // The window's samples against the user-mode CPU of the window's share of the whole cycle, not
                // against the CPU inside the window: sampling itself shifts CPU into user mode (threads stopped and
                // resumed), which would understate the rate and overshoot the target (by 28 % on the showcase).
                double windowShare = wall <= 0 ? 1 : Math.Min(1, windowLength.TotalSeconds / wall);
                var windowUserCpu = (cpuNow.UserTime - cycleUserCpuStart) * windowShare;
                if (windowUserCpu >= MinCpuForRate && windowSamples >= MinSamplesForRate)
                {
                    this.LastWindowSamplesPerCpuSecond = windowSamples / windowUserCpu.TotalSeconds;
                }

                bool wasOpen = this.CurrentDutyCycle >= 1;
                this.CurrentDutyCycle = NextDutyCycle(this.dutyCycle, this.targetSamplesPerCpuSecond, this.LastWindowSamplesPerCpuSecond, share);
                windowLength = this.cycle * this.CurrentDutyCycle;
                (cycleCpuStart, cycleUserCpuStart, cycleStart, windowSamplesStart) = (cpuNow.TotalTime, cpuNow.UserTime, now, this.cpuSamples());

                lock (this.gate)
                {
                    if (this.stopped)
                    {
                        return;
                    }

                    if (wasOpen && this.current is not null)
                    {
                        // A full-cycle window stays open into the next cycle.
                        continue;
                    }

                    this.OpenWindow(windowLength);
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
            return (this.current is not null && endUtc >= this.currentWindowStart) || this.recentWindows.Overlaps(startUtc, endUtc);
        }
    }

    /// <summary>Starts a window's sampler session: from <see cref="Start"/> before the cycle thread exists, then on that thread under <see cref="gate"/>.</summary>
    private void OpenWindow(TimeSpan planned)
    {
        this.samplingChanged?.Invoke(true);

        // From before the session starts: the runtime may sample while it is being set up. The start is set
        // before the session is published, for the span processor's look (under the lock only once cycling).
        var opening = DateTime.UtcNow;
        var session = this.startSampler();
        this.currentWindowStart = opening;
        this.current = session;
        ProfilingEventSource.Log.SamplingWindowOpened((int)planned.TotalMilliseconds);
    }

    private void CloseWindow()
    {
        DateTime stopRequested = DateTime.UtcNow;
        var (opened, stopped) = this.StopCurrentWindow(TimeSpan.FromSeconds(3));
        ProfilingEventSource.Log.SamplingWindowClosed((int)(stopped - opened).TotalMilliseconds, (int)(stopped - stopRequested).TotalMilliseconds);

        // The session's event buffers are freed now; without this the C heap would keep their peak.
        NativeHeap.Trim();

        // The window's samples have all been consumed once its session has stopped.
        this.samplingChanged?.Invoke(false);
    }

    /// <summary>
    /// Stops the open window's session, if any (what the runtime buffered is delivered first). The window is in
    /// the history without an end until its session has stopped: the runtime samples until then. Returns when
    /// the window opened and when its session stopped.
    /// </summary>
    private (DateTime Opened, DateTime Stopped) StopCurrentWindow(TimeSpan timeout)
    {
        EventPipeSessionRunner? closing;
        DateTime opened;
        lock (this.gate)
        {
            closing = this.current;
            this.current = null;
            opened = this.currentWindowStart;
            if (closing is not null)
            {
                this.recentWindows.Add(opened, DateTime.MaxValue);
            }
        }

        closing?.Stop(timeout);
        closing?.Dispose();
        var stopped = DateTime.UtcNow;
        if (closing is not null)
        {
            lock (this.gate)
            {
                this.recentWindows.EndLast(stopped);
            }
        }

        return (opened, stopped);
    }
}
