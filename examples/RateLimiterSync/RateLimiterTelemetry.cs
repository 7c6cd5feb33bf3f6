using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RateLimiterSync;

/// <summary>
/// The service's own spans and metrics, under the name <c>RateLimiterSync</c> that the OpenTelemetry set-up
/// subscribes to. Kept as one shared instance: an ActivitySource and a Meter are meant to live as long as the app.
/// </summary>
internal sealed class RateLimiterTelemetry : IDisposable
{
    public const string Name = "RateLimiterSync";

    private readonly Counter<long> allowed;
    private readonly Counter<long> limited;
    private readonly Histogram<double> syncDuration;
    private readonly Counter<long> peerTokens;
    private long allowedTotal;
    private long limitedTotal;

    public RateLimiterTelemetry()
    {
        this.ActivitySource = new ActivitySource(Name);
        this.Meter = new Meter(Name);
        this.allowed = this.Meter.CreateCounter<long>("ratelimiter.requests.allowed", "{request}", "Requests let through by the rate limiter.");
        this.limited = this.Meter.CreateCounter<long>("ratelimiter.requests.limited", "{request}", "Requests refused with 429 by the rate limiter.");
        this.syncDuration = this.Meter.CreateHistogram<double>("ratelimiter.sync.duration", "s", "Duration of one SyncLimits round.");
        this.peerTokens = this.Meter.CreateCounter<long>("ratelimiter.sync.peer_tokens", "{token}", "Tokens learnt to be consumed on peer nodes.");
    }

    public ActivitySource ActivitySource { get; }

    public Meter Meter { get; }

    /// <summary>Gets how many requests were allowed so far, for the console report.</summary>
    public long AllowedTotal => Interlocked.Read(ref this.allowedTotal);

    /// <summary>Gets how many requests were refused so far, for the console report.</summary>
    public long LimitedTotal => Interlocked.Read(ref this.limitedTotal);

    public void RecordAllowed(QuotaTier tier)
    {
        Interlocked.Increment(ref this.allowedTotal);
        this.allowed.Add(1, new KeyValuePair<string, object?>("ratelimiter.tier", tier.Name));
    }

    public void RecordLimited(QuotaTier tier)
    {
        Interlocked.Increment(ref this.limitedTotal);
        this.limited.Add(1, new KeyValuePair<string, object?>("ratelimiter.tier", tier.Name));
    }

    public void RecordSync(TimeSpan duration, long learntTokens, bool converged)
    {
        this.syncDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("ratelimiter.sync.converged", converged));
        this.peerTokens.Add(learntTokens);
    }

    public void Dispose()
    {
        this.ActivitySource.Dispose();
        this.Meter.Dispose();
    }
}
