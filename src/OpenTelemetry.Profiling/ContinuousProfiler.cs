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

    private readonly ProfilingOptions options;
    private readonly IReadOnlyList<ProfileExporter> exporters;
    private readonly Func<Resource> resource;
    private readonly MethodMap methods = new();
    private readonly CpuSampleCollector cpu;
    private readonly ProfileAssembler assembler;
    private readonly ManualResetEventSlim stopRequested = new(false);
    private readonly Lock exportGate = new();
    private readonly ProfilerMetrics metrics = new();
    private long correlationLostReported;
    private EventPipeSessionRunner? methodRunner;
    private SamplingScheduler? sampling;
    private Thread? exportThread;
    private Thread? rundownThread;
    private DateTimeOffset intervalStart;
    private long batchesExported;
    private int state; // 0 new, 1 running, 2 stopped

    public ContinuousProfiler(ProfilingOptions options, IReadOnlyList<ProfileExporter> exporters, Func<Resource> resource)
    {
        this.options = options;
        this.exporters = exporters;
        this.resource = resource;
        this.cpu = new CpuSampleCollector(options.MaxStacksPerInterval);
        this.assembler = new ProfileAssembler(this.methods, ThreadNames.Get);
    }

    public bool IsRunning => Volatile.Read(ref this.state) == 1;

    /// <summary>Gets the share of sampled frames that were named in the last interval (1 when none was sampled).</summary>
    public double LastNamedShare { get; private set; } = 1;

    internal MethodMap Methods => this.methods;

    internal ProfilerMetrics Metrics => this.metrics;

    /// <summary>Tells whether samples may exist for a span: whether a sampling window was open during its life.</summary>
    internal bool MayHaveSamples(Activity span) =>
        this.sampling?.OverlapsSampling(span.StartTimeUtc, span.StartTimeUtc + span.Duration) ?? false;

    internal long CorrelationLost => this.cpu.CorrelationLost;

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
            started = this.StartSessions();
            if (started)
            {
                this.intervalStart = DateTimeOffset.UtcNow;
                this.exportThread = ProfilerThread.Start("Export", this.cpu.ExcludeThread, this.ExportLoop);
            }
        }

        if (!started)
        {
            SpanTracker.Stop();
            Volatile.Write(ref this.state, 2);
            return false;
        }

        ProfilingEventSource.Log.ProfilerStarted((int)this.options.ExportInterval.TotalMilliseconds);
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
        if (Interlocked.Exchange(ref this.state, 2) != 1)
        {
            return;
        }

        using (SpanTracker.EnterProfilerWork())
        {
            this.StopAndFlush();
        }

        SpanTracker.Stop();
        this.stopRequested.Dispose();
        this.metrics.Dispose();
        ProfilingEventSource.Log.ProfilerStopped(this.batchesExported);
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
                this.cpu.ExcludeThread);
            this.rundownThread = ProfilerThread.Start("Rundown", this.cpu.ExcludeThread, () => this.RunRundown(methodHandler));
            this.sampling = new SamplingScheduler(this.StartSampler, this.options.SamplingWindow, this.options.SamplingDutyCycle, this.cpu.ExcludeThread);
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

    private EventPipeSessionRunner StartSampler() => EventPipeSessionRunner.Start(
        "Sampler",
        [new EventPipeProvider(RuntimeEvents.SampleProfilerProvider, System.Diagnostics.Tracing.EventLevel.Informational)],
        rundownKeyword: 0,
        requestStackwalk: true,
        bufferSizeMB: 32,
        new SampleEventHandler(this.cpu),
        this.cpu.ExcludeThread);

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
                this.cpu.ExcludeThread);
            runner.Stop(TimeSpan.FromSeconds(30));
            runner.Dispose();
        }
        catch (Exception ex)
        {
            ProfilingEventSource.Log.ConsumerFailed("Rundown", ex);
        }
    }

    private void StopSessions()
    {
        this.sampling?.Dispose();
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
        var samples = this.cpu.Swap(out long rounds, out long roundInterval);
        try
        {
            // Honest period: the wall time the interval covered per sampling round. With windows open 10 % of
            // the time, each round stands for ten round intervals, so count x period estimates the whole
            // interval's time instead of looking like only the sampled tenth.
            var duration = end - this.intervalStart;
            long period = rounds > 0 ? (long)(duration.TotalNanoseconds / rounds) : (roundInterval > 0 ? roundInterval : 1_000_000);
            var batch = this.assembler.Build(
                [new ProfileInput(ProfileType.Cpu, samples, period)],
                this.intervalStart,
                duration,
                this.resource(),
                out var stats);
            this.LastNamedShare = stats.NamedShare;
            this.metrics.AddInterval(samples.SampleCount, samples.DroppedSamples);
            long lost = this.cpu.CorrelationLost;
            this.metrics.SetCorrelationLost(lost);
            if (lost > this.correlationLostReported)
            {
                ProfilingEventSource.Log.CorrelationLost(lost - this.correlationLostReported);
                this.correlationLostReported = lost;
            }

            ProfilingEventSource.Log.IntervalAggregated(samples.SampleCount, samples.Stacks.Count, samples.DroppedSamples, (int)(stats.NamedShare * 100));
            return batch;
        }
        finally
        {
            this.intervalStart = end;
            this.cpu.Recycle(samples);
        }
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
