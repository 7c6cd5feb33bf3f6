using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// A span processor added to the app's tracer provider. It gives the profiler the provider (and so the
/// resource the app's spans carry) without resolving services at export time, when the SDK may already be
/// disposing.
/// </summary>
internal sealed class ProfilingSpanProcessor : BaseProcessor<Activity>
{
    /// <summary>The span attribute Grafana's trace-to-profile link looks for; its value is the span id.</summary>
    public const string PyroscopeProfileIdAttribute = "pyroscope.profile.id";

    public BaseProvider? Provider => this.ParentProvider;

    /// <summary>
    /// Gets or sets the test for "this span may have profile samples" when <c>pyroscope.profile.id</c> is to be
    /// added; null when the option is off.
    /// </summary>
    public Func<Activity, bool>? MayHaveSamples { get; set; }

    /// <summary>Gets or sets the spans in flight, tracked for the wall profile's awaiting time; null when wall time is off.</summary>
    public InFlightSpans? InFlight { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a profiler is running. The processor is in the tracer provider
    /// whatever the options say; with profiling off (or stopped) it must cost the app's spans nothing.
    /// </summary>
    public bool Active { get; set; }

    public override void OnStart(Activity data) => this.InFlight?.OnStart(data);

    public override void OnEnd(Activity data)
    {
        if (!this.Active)
        {
            return;
        }

        this.InFlight?.OnEnd(data);
        if (data.Parent is null)
        {
            // The endpoint's final name (ASP.NET Core names the server span once routing has run).
            SpanNames.RootEnded(SpanKey.Id(data.SpanId), data.DisplayName);
        }

        // Samples reach the profiler only after the span has ended and been handed to exporters, so the test
        // is whether a sampling window was open during the span's life (always so with continuous sampling).
        if (this.MayHaveSamples is { } mayHaveSamples && data.IsAllDataRequested && mayHaveSamples(data))
        {
            data.SetTag(PyroscopeProfileIdAttribute, data.SpanId.ToHexString());
        }
    }
}
