namespace RateLimiterSync;

/// <summary>The quota a key gets, for the whole cluster: a burst and a sustained rate.</summary>
/// <param name="Name">The tier name, reported on metrics and by <c>/api/quota</c>.</param>
/// <param name="Burst">The bucket capacity.</param>
/// <param name="PerSecond">The refill rate.</param>
internal sealed record QuotaTier(string Name, double Burst, double PerSecond)
{
    /// <summary>Most tenants: generous enough that the load generator stays under it.</summary>
    public static QuotaTier Standard { get; } = new("standard", Burst: 100, PerSecond: 50);

    /// <summary>Every tenth tenant: small, so the load generator runs past it and gets 429s.</summary>
    public static QuotaTier Free { get; } = new("free", Burst: 10, PerSecond: 5);

    public static QuotaTier ForKeyIndex(int index) => index % 10 == 0 ? Free : Standard;
}
