using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Profiling.Export;

namespace OpenTelemetry.Profiling;

/// <summary>
/// Configures profiling inside <c>WithProfiling(...)</c>: options and exporters. Everything added here is
/// resolved lazily from the builder's service provider when the OpenTelemetry SDK is built.
/// </summary>
public sealed class ProfilingBuilder
{
    internal ProfilingBuilder(IServiceCollection services)
    {
        this.Services = services;
    }

    /// <summary>Gets the services of the OpenTelemetry builder this profiling builder belongs to.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Configures <see cref="ProfilingOptions"/>. Settings made here win over environment variables.
    /// </summary>
    /// <param name="configure">The action that sets options.</param>
    /// <returns>This builder, for chaining.</returns>
    public ProfilingBuilder Configure(Action<ProfilingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        this.Services.Configure(configure);
        return this;
    }

    /// <summary>Registers an exporter created from the service provider when profiling starts.</summary>
    internal ProfilingBuilder AddExporter(Func<IServiceProvider, ProfileExporter> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        this.Services.AddSingleton(new ProfileExporterRegistration(factory));
        return this;
    }
}
