using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Profiling.Configuration;
using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Diagnostics;
using OpenTelemetry.Profiling.Export;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling;

/// <summary>
/// Ties the profiler to the OpenTelemetry SDK's service provider: created and started when the SDK builds its
/// tracer provider, disposed (stopping and flushing the profiler) when the SDK is disposed. Everything is
/// resolved from the builder's services, so the same wiring works under a generic host.
/// </summary>
internal sealed class ProfilerLifetime : IDisposable
{
    private readonly IServiceProvider services;
    private readonly Lock gate = new();
    private readonly ProfilingSpanProcessor spanProcessor = new();
    private ContinuousProfiler? profiler;
    private bool disposed;

    public ProfilerLifetime(IServiceProvider services)
    {
        this.services = services;
    }

    public ContinuousProfiler? Profiler => this.profiler;

    /// <summary>Gets the processor to add to the app's tracer provider.</summary>
    public ProfilingSpanProcessor SpanProcessor => this.spanProcessor;

    public void EnsureStarted()
    {
        lock (this.gate)
        {
            if (this.profiler is not null || this.disposed)
            {
                return;
            }

            var options = this.services.GetService<IOptions<ProfilingOptions>>()?.Value ?? new ProfilingOptions();
            var configuration = this.services.GetService<IConfiguration>();
            ProfilingOptionsEnvironmentReader.Apply(options, name => configuration?[name] ?? Environment.GetEnvironmentVariable(name));
            if (!options.Enabled)
            {
                return;
            }

            var exporters = new List<ProfileExporter>();
            foreach (var registration in this.services.GetServices<ProfileExporterRegistration>())
            {
                try
                {
                    exporters.Add(registration.Factory(this.services));
                }
                catch (Exception ex) when (ex is not ArgumentException)
                {
                    // A bad setting made in code (ArgumentException) fails configuration, as it should; anything
                    // else an exporter throws while being created must not stop the app from starting.
                    ProfilingEventSource.Log.ExportFailed(nameof(ProfileExporterRegistration), ex);
                }
            }

            this.profiler = new ContinuousProfiler(options, exporters, this.ResolveResource);
            if (this.profiler.Start())
            {
                // Active first: a span the in-flight table sees start must be seen ending.
                this.spanProcessor.Active = true;
                this.spanProcessor.InFlight = this.profiler.InFlight;
                if (options.AddPyroscopeProfileIdToSpans)
                {
                    this.spanProcessor.MayHaveSamples = this.profiler.MayHaveSamples;
                }
            }
        }
    }

    public void Dispose()
    {
        ContinuousProfiler? running;
        lock (this.gate)
        {
            this.disposed = true;
            running = this.profiler;

            // Spans that go on after the profiler stopped are not tracked for it.
            this.spanProcessor.Active = false;
            this.spanProcessor.InFlight = null;
            this.spanProcessor.MayHaveSamples = null;
        }

        running?.Dispose();
    }

    // The tracer provider carries the resource the app configured (ConfigureResource, OTEL_SERVICE_NAME,
    // OTEL_RESOURCE_ATTRIBUTES): profiles describe the same service as its traces and metrics.
    private Resource ResolveResource() =>
        this.spanProcessor.Provider?.GetResource() ?? ResourceBuilder.CreateDefault().Build();
}
