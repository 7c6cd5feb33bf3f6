using System.Diagnostics;
using System.Globalization;

namespace RateLimiterSync;

/// <summary>
/// Admits or refuses each <c>/api</c> request by the token bucket of its <c>X-Api-Key</c>: 401 without a known
/// key, 429 with <c>Retry-After</c> when the bucket is empty. The outcome is put on the request's server span,
/// so a trace shows why a request was refused.
/// </summary>
internal sealed class RateLimitingMiddleware
{
    public const string ApiKeyHeader = "X-Api-Key";

    private readonly RequestDelegate next;
    private readonly LimitStore store;
    private readonly RateLimiterTelemetry telemetry;

    public RateLimitingMiddleware(RequestDelegate next, LimitStore store, RateLimiterTelemetry telemetry)
    {
        this.next = next;
        this.store = store;
        this.telemetry = telemetry;
    }

    public Task InvokeAsync(HttpContext context)
    {
        string? apiKey = context.Request.Headers[ApiKeyHeader];
        var limit = string.IsNullOrEmpty(apiKey) ? null : this.store.Find(apiKey);
        var span = Activity.Current;
        if (limit is null)
        {
            span?.SetTag("ratelimiter.result", "unauthenticated");
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return context.Response.WriteAsync($"A known {ApiKeyHeader} header is required.");
        }

        span?.SetTag("ratelimiter.key", limit.Key);
        span?.SetTag("ratelimiter.tier", limit.Tier.Name);
        context.Response.Headers["X-RateLimit-Limit"] = limit.Tier.Burst.ToString(CultureInfo.InvariantCulture);
        if (!limit.TryAcquire(out int remaining, out var retryAfter))
        {
            this.telemetry.RecordLimited(limit.Tier);
            span?.SetTag("ratelimiter.result", "limited");
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers["X-RateLimit-Remaining"] = "0";
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }

        this.telemetry.RecordAllowed(limit.Tier);
        span?.SetTag("ratelimiter.result", "allowed");
        context.Response.Headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        context.Items[typeof(TenantLimit)] = limit;
        return this.next(context);
    }
}
