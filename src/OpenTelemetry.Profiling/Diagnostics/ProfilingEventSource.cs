using System.Diagnostics.Tracing;

namespace OpenTelemetry.Profiling.Diagnostics;

/// <summary>
/// Self-diagnostics of the profiler. The OpenTelemetry SDK's self-diagnostics picks up sources whose name
/// starts with <c>OpenTelemetry-</c>. Event ids are never reused.
/// </summary>
[EventSource(Name = "OpenTelemetry-Profiling")]
internal sealed class ProfilingEventSource : EventSource
{
    public static readonly ProfilingEventSource Log = new();

    [NonEvent]
    public void ProfilerUnavailable(Exception exception)
    {
        if (this.IsEnabled(EventLevel.Error, EventKeywords.All))
        {
            this.ProfilerUnavailable(exception.GetType().Name + ": " + exception.Message);
        }
    }

    [NonEvent]
    public void ConsumerFailed(string component, Exception exception)
    {
        if (this.IsEnabled(EventLevel.Error, EventKeywords.All))
        {
            this.ConsumerFailed(component, exception.ToString());
        }
    }

    [NonEvent]
    public void ExportFailed(string exporter, Exception exception)
    {
        if (this.IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            this.ExportThrew(exporter, exception.ToString());
        }
    }

    [Event(1, Message = "Profiling is switched off: EventPipe is not available in this process ({0}). The application runs normally.", Level = EventLevel.Error)]
    public void ProfilerUnavailable(string reason) => this.WriteEvent(1, reason);

    [Event(2, Message = "Profiler started: export interval {0} ms.", Level = EventLevel.Informational)]
    public void ProfilerStarted(int exportIntervalMs) => this.WriteEvent(2, exportIntervalMs);

    [Event(3, Message = "Profiler stopped after exporting {0} profile batches.", Level = EventLevel.Informational)]
    public void ProfilerStopped(long batches) => this.WriteEvent(3, batches);

    [Event(4, Message = "Profiler component '{0}' failed and was contained: {1}", Level = EventLevel.Error)]
    public void ConsumerFailed(string component, string error) => this.WriteEvent(4, component, error);

    [Event(5, Message = "Exporter '{0}' threw (it must not): {1}", Level = EventLevel.Warning)]
    public void ExportThrew(string exporter, string error) => this.WriteEvent(5, exporter, error);

    [Event(6, Message = "Invalid value for environment variable {0}: '{1}'. {2} The default is used.", Level = EventLevel.Warning)]
    public void InvalidEnvironmentVariable(string name, string value, string reason) => this.WriteEvent(6, name, value, reason);

    [Event(7, Message = "Interval ended: {0} samples, {1} distinct stacks, {2} samples dropped (stack limit), {3}% of frames named.", Level = EventLevel.Verbose)]
    public void IntervalAggregated(long samples, int stacks, long dropped, int namedPercent) => this.WriteEvent(7, samples, stacks, dropped, namedPercent);

    [Event(8, Message = "Dispose did not finish within {0} ms; remaining work was abandoned.", Level = EventLevel.Warning)]
    public void ShutdownTimedOut(int timeoutMs) => this.WriteEvent(8, timeoutMs);

    [Event(9, Message = "Span correlation lost for {0} samples (thread switch history overwritten before the sample was processed); they were left unlinked.", Level = EventLevel.Warning)]
    public void CorrelationLost(long samples) => this.WriteEvent(9, samples);

    [Event(10, Message = "Sampling window opened for about {0} ms.", Level = EventLevel.Verbose)]
    public void SamplingWindowOpened(int plannedMs) => this.WriteEvent(10, plannedMs);

    [Event(11, Message = "Sampling window closed after {0} ms, of which {1} ms stopping its session (the runtime samples until it has stopped).", Level = EventLevel.Verbose, Version = 1)]
    public void SamplingWindowClosed(int durationMs, int stoppingMs) => this.WriteEvent(11, durationMs, stoppingMs);

    [Event(12, Message = "The export interval ({0} ms) is shorter than the sampling cycle ({1} ms): profiles of intervals without a sampling window carry no wall samples (nor CPU samples, unless the native sampler takes them), and the others cover the time since the previous window in their own time range, so a backend sees each interval's samples late. Make ExportInterval at least the cycle (SamplingWindow / SamplingDutyCycle); unset, it follows the cycle up to 10 minutes.", Level = EventLevel.Warning)]
    public void ExportIntervalShorterThanSamplingCycle(int exportIntervalMs, int cycleMs) => this.WriteEvent(12, exportIntervalMs, cycleMs);

    /// <summary>
    /// Reports that CPU samples come from the runtime's sampler because the native sampler is not available: a
    /// warning where it was expected (asked for, or a platform it runs on), information elsewhere.
    /// </summary>
    [NonEvent]
    public void NativeSamplerUnavailable(string reason, bool expected)
    {
        if (expected)
        {
            this.NativeSamplerExpectedButUnavailable(reason);
        }
        else
        {
            this.NativeSamplerFallback(reason);
        }
    }

    [Event(13, Message = "The native CPU sampler is not available ({0}); CPU samples come from the runtime's sampler in windows, at a higher cost per sample.", Level = EventLevel.Warning)]
    public void NativeSamplerExpectedButUnavailable(string reason) => this.WriteEvent(13, reason);

    [Event(14, Message = "The native CPU sampler is not available on this platform ({0}); CPU samples come from the runtime's sampler in windows.", Level = EventLevel.Informational)]
    public void NativeSamplerFallback(string reason) => this.WriteEvent(14, reason);
}
