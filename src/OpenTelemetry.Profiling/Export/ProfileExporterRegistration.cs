namespace OpenTelemetry.Profiling.Export;

/// <summary>One exporter added with <see cref="ProfilingBuilder"/>; created when profiling starts.</summary>
internal sealed class ProfileExporterRegistration(Func<IServiceProvider, ProfileExporter> factory)
{
    public Func<IServiceProvider, ProfileExporter> Factory { get; } = factory;
}
