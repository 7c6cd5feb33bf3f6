using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Profiling;
using OpenTelemetry.Trace;

namespace OpenTelemetry;

/// <summary>Adds continuous profiling to an OpenTelemetry builder, next to <c>WithTracing</c> and <c>WithMetrics</c>.</summary>
public static class OpenTelemetryBuilderProfilingExtensions
{
    /// <summary>
    /// Enables continuous profiling with default options. Profiling starts when the SDK is built and stops,
    /// exporting the last partial interval, when it is disposed. Safe to call more than once.
    /// </summary>
    /// <param name="builder">The OpenTelemetry builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IOpenTelemetryBuilder WithProfiling(this IOpenTelemetryBuilder builder) => WithProfiling(builder, static _ => { });

    /// <summary>
    /// Enables continuous profiling, configured by <paramref name="configure"/> (options, exporters such as
    /// <c>AddOtlpExporter()</c>). Safe to call more than once: later calls add to the configuration.
    /// </summary>
    /// <param name="builder">The OpenTelemetry builder.</param>
    /// <param name="configure">Configures profiling.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IOpenTelemetryBuilder WithProfiling(this IOpenTelemetryBuilder builder, Action<ProfilingBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        var services = builder.Services;
        if (!services.Any(static d => d.ServiceType == typeof(ProfilerLifetime)))
        {
            services.AddOptions();
            services.TryAddSingleton<ProfilerLifetime>();

            // Profiling shares the tracer provider's life and resource: it starts when the SDK (or host) resolves
            // the tracer provider, and it reads the same resource the app's spans carry.
            // Inserted first so that the profiler's span processor runs before any exporting processor the app
            // added earlier: attributes it sets when a span ends are then in what gets exported.
            builder.WithTracing();
            int before = services.Count;
            services.ConfigureOpenTelemetryTracerProvider((sp, tracing) =>
            {
                var lifetime = sp.GetRequiredService<ProfilerLifetime>();
                tracing.AddProcessor(lifetime.SpanProcessor);
                lifetime.EnsureStarted();
            });
            if (services.Count == before + 1)
            {
                var configuration = services[before];
                services.RemoveAt(before);
                services.Insert(0, configuration);
            }
        }

        configure(new ProfilingBuilder(services));
        return builder;
    }
}
