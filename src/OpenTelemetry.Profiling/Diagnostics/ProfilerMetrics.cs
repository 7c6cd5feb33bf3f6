using System.Diagnostics.Metrics;

namespace OpenTelemetry.Profiling.Diagnostics;

/// <summary>
/// The profiler's own health on a <see cref="Meter"/> named <c>OpenTelemetry.Profiling</c>, so operators can
/// alert on the profiler itself (add the meter with <c>WithMetrics(m =&gt; m.AddMeter("OpenTelemetry.Profiling"))</c>).
/// Values are cumulative and updated once per interval by the export thread; instruments only read them.
/// </summary>
internal sealed class ProfilerMetrics : IDisposable
{
    public const string MeterName = "OpenTelemetry.Profiling";

    private readonly Meter meter;
    private long samples;
    private long samplesDropped;
    private long samplesLost;
    private long correlationLost;
    private long batches;
    private double dutyCycle;
    private long spansUntracked;
    private long spanNamesDropped;

    public ProfilerMetrics()
    {
        this.meter = new Meter(MeterName, typeof(ProfilerMetrics).Assembly.GetName().Version?.ToString());
        this.meter.CreateObservableCounter("profiler.samples", () => Volatile.Read(ref this.samples), "{sample}", "Samples aggregated into profiles.");
        this.meter.CreateObservableCounter("profiler.samples.dropped", () => Volatile.Read(ref this.samplesDropped), "{sample}", "Samples dropped because an interval's stack table was full.");
        this.meter.CreateObservableCounter("profiler.samples.lost", () => Volatile.Read(ref this.samplesLost), "{sample}", "CPU samples the native sampler could not take because its ring was full (its drain fell behind).");
        this.meter.CreateObservableCounter("profiler.correlation.lost", () => Volatile.Read(ref this.correlationLost), "{sample}", "Samples left unlinked because their thread's span history no longer reached back to them.");
        this.meter.CreateObservableGauge("profiler.sampling.duty_cycle", () => Volatile.Read(ref this.dutyCycle), "1", "Share of the current sampling cycle its window takes (steered by the target rate and CPU headroom).");
        this.meter.CreateObservableCounter("profiler.spans.untracked", () => Volatile.Read(ref this.spansUntracked), "{span}", "Spans whose awaiting time is missing because the in-flight span table was full.");
        this.meter.CreateObservableCounter("profiler.span_names.dropped", () => Volatile.Read(ref this.spanNamesDropped), "{name}", "Times an endpoint (local root span) name was not kept because the name tables were full.");
        this.meter.CreateObservableCounter("profiler.batches", () => Volatile.Read(ref this.batches), "{batch}", "Profile batches handed to exporters.");
    }

    public void AddInterval(long samples, long dropped)
    {
        Interlocked.Add(ref this.samples, samples);
        Interlocked.Add(ref this.samplesDropped, dropped);
    }

    public void SetCorrelationLost(long total) => Volatile.Write(ref this.correlationLost, total);

    public void SetSamplesLost(long total) => Volatile.Write(ref this.samplesLost, total);

    public void SetSpanTableLimits(long spansUntracked, long spanNamesDropped)
    {
        Volatile.Write(ref this.spansUntracked, spansUntracked);
        Volatile.Write(ref this.spanNamesDropped, spanNamesDropped);
    }

    public void SetDutyCycle(double value) => Volatile.Write(ref this.dutyCycle, value);

    public void AddBatch() => Interlocked.Increment(ref this.batches);

    public void Dispose() => this.meter.Dispose();
}
