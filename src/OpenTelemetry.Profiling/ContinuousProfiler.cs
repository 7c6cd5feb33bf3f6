using System.Diagnostics;
using Microsoft.Diagnostics.NETCore.Client;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Diagnostics;
using OpenTelemetry.Profiling.Export;
using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Profiling.Sampling;
using OpenTelemetry.Profiling.Symbols;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling;

/// <summary>
/// The running profiler: EventPipe sessions and their readers, the span tracker, per-interval aggregation and
/// the export thread. Started once; disposing it stops sampling, exports the last partial interval and shuts
/// the exporters down, all within a bounded time. Nothing here throws into the application.
/// </summary>
internal sealed class ContinuousProfiler : IDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The runtime raises AllocationTick about every 100 KB allocated.</summary>
    private const long AllocationTickBytes = 100 * 1024;

    private readonly ProfilingOptions options;
    private readonly IReadOnlyList<ProfileExporter> exporters;
    private readonly Func<Resource> resource;
    private readonly MethodMap methods = new();
    private readonly SampleCollector samples;
    private readonly ProfileAssembler assembler;
    private readonly ManualResetEventSlim stopRequested = new(false);
    private readonly Lock exportGate = new();
    private readonly ProfilerMetrics metrics = new();
    private long correlationLostReported;
    private EventPipeSessionRunner? methodRunner;
    private EventPipeSessionRunner? eventRunner;
    private SamplingScheduler? sampling;
    private NativeCpuSampler? nativeSampler;
    private Thread? exportThread;
    private Thread? rundownThread;
    private DateTimeOffset intervalStart;
    private long batchesExported;
    private int state; // 0 new, 1 running, 2 failed to start, 3 disposed

    public ContinuousProfiler(ProfilingOptions options, IReadOnlyList<ProfileExporter> exporters, Func<Resource> resource)
    {
        this.options = options;
        this.exporters = exporters;
        this.resource = resource;
        this.InFlight = options.WallTimeEnabled ? new InFlightSpans() : null;
        this.samples = new SampleCollector(EnabledTypes(options), options.MaxStacksPerInterval, this.InFlight);
        this.assembler = new ProfileAssembler(this.methods, ThreadNames.Get);
    }

    public bool IsRunning => Volatile.Read(ref this.state) == 1;

    /// <summary>Gets the spans in flight, for the wall profile's awaiting time (null when wall time is off).</summary>
    internal InFlightSpans? InFlight { get; }

    /// <summary>Gets the native sampler when CPU samples come from it (null when they come from the runtime's sampler).</summary>
    internal NativeCpuSampler? NativeSampler => this.nativeSampler;

    /// <summary>
    /// Tells whether samples may exist for a span: always with the native sampler (it never pauses), else
    /// whether a sampling window was open during its life.
    /// </summary>
    internal bool MayHaveSamples(Activity span) => this.nativeSampler is not null
        || (this.sampling?.OverlapsSampling(span.StartTimeUtc, span.StartTimeUtc + span.Duration) ?? false);

    /// <summary>Starts sampling. Returns false, after one diagnostic, when EventPipe is not available.</summary>
    public bool Start()
    {
        if (Interlocked.CompareExchange(ref this.state, 1, 0) != 0)
        {
            return this.IsRunning;
        }

        SpanTracker.Start();
        bool started;

        // Start and Dispose run on the application's thread: what they cost is the profiler's, not the app's.
        using (SpanTracker.EnterProfilerWork())
        {
            this.samples.SamplingStarting(System.Diagnostics.Stopwatch.GetTimestamp(), continuous: this.options.IsSamplingContinuous);
            started = this.StartSessions();
            if (started)
            {
                this.intervalStart = DateTimeOffset.UtcNow;
                this.exportThread = ProfilerThread.Start("Export", this.samples.ExcludeThread, this.ExportLoop);
            }
        }

        if (!started)
        {
            SpanTracker.Stop();
            Volatile.Write(ref this.state, 2);
            return false;
        }

        ProfilingEventSource.Log.ProfilerStarted((int)this.options.ExportInterval.TotalMilliseconds);

        // With native CPU samples every interval has CPU samples; the windows serve the wall profile alone and, at
        // the default duty cycle, keep a cycle of whole intervals of their own (about a minute; most intervals have
        // no window by design), or do not run at all without a wall profile. Only a cycle the user set is checked.
        bool windowsOnTheirOwnCycle = this.nativeSampler is not null && (!this.options.IsSamplingDutyCycleSet || !this.options.WallTimeEnabled);
        if (this.options.ExportIntervalShorterThanCycle && !windowsOnTheirOwnCycle)
        {
            ProfilingEventSource.Log.ExportIntervalShorterThanSamplingCycle((int)this.options.ExportInterval.TotalMilliseconds, (int)this.options.SamplingCycle.TotalMilliseconds);
        }

        return true;
    }

    /// <summary>Ends the current interval now and returns its batch without exporting it (tests, tools).</summary>
    internal ProfileBatch CollectInterval()
    {
        lock (this.exportGate)
        {
            return this.EndInterval();
        }
    }

    public void Dispose()
    {
        int previous = Interlocked.Exchange(ref this.state, 3);
        if (previous == 3)
        {
            return;
        }

        if (previous == 1)
        {
            using (SpanTracker.EnterProfilerWork())
            {
                this.StopAndFlush();
            }

            SpanTracker.Stop();
            ProfilingEventSource.Log.ProfilerStopped(this.batchesExported);
        }

        // Also after a start that failed: the meter must not outlive the profiler.
        this.stopRequested.Dispose();
        this.metrics.Dispose();
    }

    private bool StartSessions()
    {
        try
        {
            var methodHandler = new MethodEventHandler(this.methods);

            // Methods compiled from now on; then a rundown names those that already exist; then samples.
            this.methodRunner = EventPipeSessionRunner.Start(
                "Methods",
                [new EventPipeProvider(RuntimeEvents.RuntimeProvider, System.Diagnostics.Tracing.EventLevel.Verbose, RuntimeEvents.LoaderKeyword | RuntimeEvents.JitKeyword | RuntimeEvents.CompilationDiagnosticKeyword)],
                rundownKeyword: 0,
                requestStackwalk: false,
                bufferSizeMB: 16,
                methodHandler,
                this.samples.ExcludeThread);
            this.eventRunner = this.StartEventSession();
            this.rundownThread = ProfilerThread.Start("Rundown", this.samples.ExcludeThread, () => this.RunRundown(methodHandler));
            this.nativeSampler = this.StartNativeSampler();
            this.samples.RuntimeCpuSamples = this.nativeSampler is null;
            if (this.nativeSampler is not null && !this.options.WallTimeEnabled)
            {
                // CPU comes from the native sampler and no wall profile is wanted: the runtime's sampler is not needed.
                return true;
            }

            // With native CPU samples, the runtime's windows only serve the wall profile: one short window a
            // minute is plenty, since every round samples every managed thread.
            bool wallOnly = this.nativeSampler is not null;
            bool wallCycle = wallOnly && !this.options.IsSamplingDutyCycleSet;
            var cycle = wallCycle ? this.options.WallCycleWithNativeCpu : this.options.SamplingCycle;
            double duty = wallCycle ? this.options.WallWindowWithNativeCpu / cycle : this.options.SamplingDutyCycle;
            this.sampling = new SamplingScheduler(
                this.StartSampler,
                cycle,
                duty,
                wallOnly ? 0 : this.options.EffectiveTargetSamplesPerCpuSecond,
                () => this.samples.CpuSamples,
                this.samples.ExcludeThread,
                active =>
                {
                    if (this.InFlight is { } inFlight)
                    {
                        inFlight.SamplingActive = active;
                    }

                    if (!active)
                    {
                        this.samples.RoundsEnded();
                        SpanNames.Trim();
                    }
                })
            {
                // Wall-only windows sit halfway between exports (the cycle is a whole number of export intervals).
                FirstWindowDelay = wallOnly && duty < 1 ? (wallCycle ? this.options.ExportInterval : this.options.SamplingCycle) / 2 : TimeSpan.Zero,
            };
            this.sampling.Start();
            return true;
        }
        catch (Exception ex)
        {
            ProfilingEventSource.Log.ProfilerUnavailable(ex);
            this.StopSessions();
            return false;
        }
    }

    private void StopAndFlush()
    {
        this.stopRequested.Set();
        this.exportThread?.Join(this.options.ExportInterval + DrainTimeout);

        // Samples still in the runtime's buffers reach the collector while the session stops; method events
        // that name them arrive when the method session stops. Only then is the last interval complete.
        this.StopSessions();
        this.samples.RoundsEnded();
        try
        {
            lock (this.exportGate)
            {
                this.Export(this.EndInterval());
            }
        }
        catch (Exception ex)
        {
            ProfilingEventSource.Log.ConsumerFailed("Final export", ex);
        }

        foreach (var exporter in this.exporters)
        {
            try
            {
                if (!exporter.Shutdown(DrainTimeout))
                {
                    ProfilingEventSource.Log.ShutdownTimedOut((int)DrainTimeout.TotalMilliseconds);
                }

                exporter.Dispose();
            }
            catch (Exception ex)
            {
                ProfilingEventSource.Log.ExportFailed(exporter.GetType().Name, ex);
            }
        }
    }

    /// <summary>
    /// Allocation, contention and exception events, with stacks, in a session of their own that stays on
    /// while sampling windows open and close, so these profiles are complete. Null when none is enabled.
    /// </summary>
    private EventPipeSessionRunner? StartEventSession()
    {
        long keywords = (this.samples.IsEnabled(ProfileType.AllocatedBytes) ? RuntimeEvents.GCKeyword : 0)
            | (this.samples.IsEnabled(ProfileType.LockContentions) ? RuntimeEvents.ContentionKeyword : 0)
            | (this.samples.IsEnabled(ProfileType.Exceptions) ? RuntimeEvents.ExceptionKeyword : 0);
        if (keywords == 0)
        {
            return null;
        }

        // AllocationTick is raised only at Verbose.
        return EventPipeSessionRunner.Start(
            "Events",
            [new EventPipeProvider(RuntimeEvents.RuntimeProvider, System.Diagnostics.Tracing.EventLevel.Verbose, keywords)],
            rundownKeyword: 0,
            requestStackwalk: true,
            bufferSizeMB: 32,
            new RuntimeEventSampleHandler(this.samples),
            this.samples.ExcludeThread);
    }

    /// <summary>Starts the native sampler unless the runtime's sampler was asked for; null when it is not available here.</summary>
    private NativeCpuSampler? StartNativeSampler()
    {
        if (this.options.CpuSampler == CpuSampler.Runtime)
        {
            return null;
        }

        var sampler = NativeCpuSampler.TryStart(this.options.NativeSamplesPerCpuSecond, this.samples.OnCpuSample, this.samples.ExcludeThread, this.samples.IsOwnThread, this.methods, out string reason);
        if (sampler is null)
        {
            bool platform = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64;
            ProfilingEventSource.Log.NativeSamplerUnavailable(reason, this.options.CpuSampler == CpuSampler.Native || platform);
        }

        return sampler;
    }

    private EventPipeSessionRunner StartSampler() => EventPipeSessionRunner.Start(
        "Sampler",
        [new EventPipeProvider(RuntimeEvents.SampleProfilerProvider, System.Diagnostics.Tracing.EventLevel.Informational)],
        rundownKeyword: 0,
        requestStackwalk: true,
        bufferSizeMB: 32,
        new SampleEventHandler(this.samples),
        this.samples.ExcludeThread);

    private void RunRundown(MethodEventHandler handler)
    {
        try
        {
            // A rundown is written when a session that asked for one stops: start, stop, read to the end.
            var runner = EventPipeSessionRunner.Start(
                "Rundown",
                [new EventPipeProvider(RuntimeEvents.RuntimeProvider, System.Diagnostics.Tracing.EventLevel.Informational, RuntimeEvents.LoaderKeyword)],
                RuntimeEvents.DefaultRundownKeywords,
                requestStackwalk: false,
                bufferSizeMB: 64,
                handler,
                this.samples.ExcludeThread);
            runner.Stop(TimeSpan.FromSeconds(30));
            runner.Dispose();

            // The rundown is written all at once, faster than it is read: its buffers were the largest.
            NativeHeap.Trim();
        }
        catch (Exception ex)
        {
            ProfilingEventSource.Log.ConsumerFailed("Rundown", ex);
        }
    }

    private void StopSessions()
    {
        this.nativeSampler?.Dispose();
        this.sampling?.Dispose();
        this.eventRunner?.Stop(DrainTimeout);
        this.eventRunner?.Dispose();
        this.methodRunner?.Stop(DrainTimeout);
        this.rundownThread?.Join(DrainTimeout);
        this.methodRunner?.Dispose();
    }

    private void ExportLoop()
    {
        while (!this.stopRequested.Wait(this.options.ExportInterval))
        {
            try
            {
                lock (this.exportGate)
                {
                    this.Export(this.EndInterval());
                }

                SpanTracker.RemoveDeadThreads(Stopwatch.GetTimestamp() - (30 * Stopwatch.Frequency));
                SpanNames.Trim();

                // What the interval freed in the C heap (EventPipe's event buffers, the JIT's scratch memory
                // for the profiler's methods tiering up, the export's compressor) goes back to the OS: glibc
                // would keep each arena's peak resident until the next wall window trims it a minute later.
                NativeHeap.Trim();
            }
            catch (Exception ex)
            {
                ProfilingEventSource.Log.ConsumerFailed("Export loop", ex);
            }
        }
    }

    private ProfileBatch EndInterval()
    {
        var end = DateTimeOffset.UtcNow;
        long endTimestamp = Stopwatch.GetTimestamp();
        var interval = this.samples.Swap();
        try
        {
            var duration = end - this.intervalStart;

            // Rounds that stand for more than this interval (windows sparser than export intervals, as the wall
            // profile's beside native CPU samples: one per minute) say so: their profile's time range runs from
            // the previous window's last round to this interval's last round, exactly the time the period
            // divides, so count x period matches the range and consecutive ranges tile.
            (DateTimeOffset, TimeSpan)? roundsCover = null;
            if (interval.Rounds > 0 && interval.RoundsCoveredFrom != 0 && interval.RoundsCoveredNanos > duration.TotalNanoseconds * 1.25)
            {
                var coverStart = end - Stopwatch.GetElapsedTime(interval.RoundsCoveredFrom, endTimestamp);
                roundsCover = (coverStart, TimeSpan.FromTicks(interval.RoundsCoveredNanos / 100));
            }

            var inputs = new List<ProfileInput>(interval.Types.Count);
            for (int i = 0; i < interval.Types.Count; i++)
            {
                var aggregator = interval.Aggregators[i]!;
                if (aggregator.SampleCount > 0)
                {
                    bool nativeCpu = interval.Types[i] == ProfileType.Cpu && this.nativeSampler is not null;
                    long period = nativeCpu ? (long)this.nativeSampler!.PeriodNanos : Period(interval.Types[i], interval, duration);
                    bool fromRounds = !nativeCpu && (interval.Types[i] == ProfileType.Cpu || interval.Types[i] == ProfileType.Wall);
                    inputs.Add(new ProfileInput(interval.Types[i], aggregator, period, FramePointerStacks: nativeCpu, Covers: fromRounds ? roundsCover : null));
                }
            }

            var batch = this.assembler.Build(inputs, this.intervalStart, duration, this.resource(), out var stats);
            long sampleCount = interval.Aggregators.Sum(a => a!.SampleCount);
            long dropped = interval.Aggregators.Sum(a => a!.DroppedSamples);
            this.metrics.AddInterval(sampleCount, dropped);
            long lost = this.samples.CorrelationLost;
            this.metrics.SetCorrelationLost(lost);
            this.metrics.SetSamplesLost(this.nativeSampler?.Lost ?? 0);
            this.metrics.SetDutyCycle(this.sampling?.CurrentDutyCycle ?? 0);
            this.metrics.SetSpanTableLimits(this.InFlight?.Untracked ?? 0, SpanNames.Dropped);
            if (lost > this.correlationLostReported)
            {
                ProfilingEventSource.Log.CorrelationLost(lost - this.correlationLostReported);
                this.correlationLostReported = lost;
            }

            ProfilingEventSource.Log.IntervalAggregated(sampleCount, interval.Aggregators.Max(a => a!.Stacks.Count), dropped, (int)(stats.NamedShare * 100));
            return batch;
        }
        finally
        {
            this.intervalStart = end;
            this.samples.Recycle(interval);
        }
    }

    /// <summary>
    /// The period each profile reports (CPU samples from the native sampler report the CPU time each stands for instead). CPU and wall time: the wall time the interval's rounds covered (from
    /// the previous interval's last round to this one's, else the interval's duration) per sampling round, so
    /// that with windows open 10 % of the time each round stands for ten sampler periods and count x period
    /// estimates the whole interval instead of looking like only the sampled tenth.
    /// Allocations: the runtime's sampling threshold. Contention and exceptions: every event is counted.
    /// </summary>
    private static long Period(ProfileType type, IntervalSamples interval, TimeSpan duration)
    {
        if (type == ProfileType.Cpu || type == ProfileType.Wall)
        {
            if (interval.Rounds == 0)
            {
                return interval.RoundIntervalNanos > 0 ? interval.RoundIntervalNanos : 1_000_000;
            }

            double covered = interval.RoundsCoveredNanos > 0 ? interval.RoundsCoveredNanos : duration.TotalNanoseconds;
            return Math.Max(1, (long)(covered / interval.Rounds));
        }

        return type == ProfileType.AllocatedBytes || type == ProfileType.AllocatedObjects ? AllocationTickBytes : 1;
    }

    private static ProfileType[] EnabledTypes(ProfilingOptions options)
    {
        var types = new List<ProfileType> { ProfileType.Cpu };
        if (options.WallTimeEnabled)
        {
            types.Add(ProfileType.Wall);
        }

        if (options.AllocationsEnabled)
        {
            types.Add(ProfileType.AllocatedBytes);
            types.Add(ProfileType.AllocatedObjects);
        }

        if (options.LockContentionEnabled)
        {
            types.Add(ProfileType.LockContentions);
            types.Add(ProfileType.LockDelay);
        }

        if (options.ExceptionsEnabled)
        {
            types.Add(ProfileType.Exceptions);
        }

        return [.. types];
    }

    private void Export(ProfileBatch batch)
    {
        if (batch.SampleCount == 0)
        {
            return;
        }

        using var scope = SpanTracker.EnterProfilerWork();
        using var suppress = SuppressInstrumentationScope.Begin();
        foreach (var exporter in this.exporters)
        {
            try
            {
                exporter.Export(batch, CancellationToken.None);
            }
            catch (Exception ex)
            {
                ProfilingEventSource.Log.ExportFailed(exporter.GetType().Name, ex);
            }
        }

        this.batchesExported++;
        this.metrics.AddBatch();
    }
}
