using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// A span processor added to the app's tracer provider. It gives the profiler the provider (and so the
/// resource the app's spans carry) without resolving services at export time, when the SDK may already be
/// disposing.
/// </summary>
internal sealed class ProfilingSpanProcessor : BaseProcessor<Activity>
{
    public BaseProvider? Provider => this.ParentProvider;
}
