using System.Diagnostics;
using OpenTelemetry;

namespace RateLimiterSync;

/// <summary>
/// Drops the server spans of the embedded OTLP receiver. It is an ASP.NET Core app in this same process, so
/// each export it receives would become a <c>Microsoft.AspNetCore</c> span, exported in turn: a feedback loop
/// a real deployment (receiver elsewhere) does not have. The service's own server spans are recognized by the
/// attributes <see cref="ServerSpanMiddleware"/> sets; the receiver's never get them.
/// </summary>
internal sealed class ReceiverSpanFilter : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        if (data.Source.Name == "Microsoft.AspNetCore" && data.GetTagItem("http.request.method") is null)
        {
            // Exporting processors skip spans that are not recorded.
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
