using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace RateLimiterSync;

/// <summary>The service's endpoints. Everything under <c>/api</c> is behind <see cref="RateLimitingMiddleware"/>.</summary>
internal static class ApiEndpoints
{
    // Enough key stretching that a request does visible work in the profile, little enough to stay cheap.
    private const int CheckIterations = 1000;

    public static void MapApi(this WebApplication app)
    {
        app.MapGet("/healthz", () => "ok");
        app.MapGet("/api/check", Check);
        app.MapGet("/api/quota/{key}", Quota);
    }

    // Derives a token from the input and the caller's key: a stand-in for real per-request work (verifying a
    // signature, hashing a password) that the profile attributes to the request's span.
    private static Ok<CheckResponse> Check(HttpContext context, string? input)
    {
        var caller = (TenantLimit)context.Items[typeof(TenantLimit)]!;
        string text = string.IsNullOrEmpty(input) ? "empty" : input;
        byte[] token = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(text), Encoding.UTF8.GetBytes(caller.Key), CheckIterations, HashAlgorithmName.SHA256, 32);
        return TypedResults.Ok(new CheckResponse(caller.Key, text, Convert.ToHexStringLower(token)));
    }

    private static IResult Quota(string key, LimitStore store)
    {
        var limit = store.Find(key);
        return limit is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new QuotaResponse(limit.Key, limit.Tier.Name, limit.Tier.Burst, limit.Tier.PerSecond, Math.Round(limit.Bucket.Available, 2), limit.SnapshotConsumed()));
    }
}
