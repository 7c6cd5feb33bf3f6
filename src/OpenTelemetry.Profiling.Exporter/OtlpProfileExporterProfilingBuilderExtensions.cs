using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Profiling.Exporter;
using OpenTelemetry.Profiling.Exporter.Configuration;

namespace OpenTelemetry.Profiling;

/// <summary>Adds the OTLP profile exporter to a <see cref="ProfilingBuilder"/>.</summary>
public static class OtlpProfileExporterProfilingBuilderExtensions
{
    /// <summary>
    /// Exports profiles over OTLP, configured from <c>OTEL_EXPORTER_OTLP_*</c> environment variables (or the
    /// registered <see cref="IConfiguration"/>) and defaults.
    /// </summary>
    /// <param name="builder">The profiling builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ProfilingBuilder AddOtlpExporter(this ProfilingBuilder builder) =>
        AddOtlpExporter(builder, name: null, configure: null);

    /// <summary>Exports profiles over OTLP with settings made in code, which win over the environment.</summary>
    /// <param name="builder">The profiling builder.</param>
    /// <param name="configure">Sets <see cref="OtlpProfileExporterOptions"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ProfilingBuilder AddOtlpExporter(this ProfilingBuilder builder, Action<OtlpProfileExporterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddOtlpExporter(builder, name: null, configure);
    }

    /// <summary>
    /// Exports profiles over OTLP with named options, so several OTLP exporters can be configured apart.
    /// Everything is resolved lazily from the service provider when profiling starts.
    /// </summary>
    /// <param name="builder">The profiling builder.</param>
    /// <param name="name">The options name; <see langword="null"/> for the default options.</param>
    /// <param name="configure">Sets <see cref="OtlpProfileExporterOptions"/>; optional.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ProfilingBuilder AddOtlpExporter(this ProfilingBuilder builder, string? name, Action<OtlpProfileExporterOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string optionsName = name ?? Options.DefaultName;
        var options = builder.Services.AddOptions<OtlpProfileExporterOptions>(optionsName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder.AddExporter(serviceProvider =>
        {
            var exporterOptions = serviceProvider.GetRequiredService<IOptionsMonitor<OtlpProfileExporterOptions>>().Get(optionsName);

            // IConfiguration when the host has one (a host's includes the environment variables), key by key, and the
            // process environment for keys it lacks, as the profiler's own settings are read: a configuration built
            // without the environment must not hide the standard variables.
            var configuration = serviceProvider.GetService<IConfiguration>();
            Func<string, string?> readVariable = configuration is null ? Environment.GetEnvironmentVariable : key => configuration[key] ?? Environment.GetEnvironmentVariable(key);
            return new OtlpProfileExporter(OtlpProfileExporterSettings.Resolve(exporterOptions, readVariable));
        });
    }
}
