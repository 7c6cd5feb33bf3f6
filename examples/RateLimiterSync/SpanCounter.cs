using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace RateLimiterSync;

/// <summary>Counts the spans handed to the exporter, per source, to report what was sent.</summary>
internal sealed class SpanCounter : BaseProcessor<Activity>
{
    private readonly ConcurrentDictionary<string, long> bySource = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> BySource => this.bySource;

    public override void OnEnd(Activity data)
    {
        if (data.Recorded)
        {
            this.bySource.AddOrUpdate(data.Source.Name, 1, static (_, count) => count + 1);
        }
    }
}
