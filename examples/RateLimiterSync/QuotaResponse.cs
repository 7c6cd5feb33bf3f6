namespace RateLimiterSync;

/// <summary>The body of <c>GET /api/quota/{key}</c>.</summary>
/// <param name="Key">The API key.</param>
/// <param name="Tier">Its quota tier.</param>
/// <param name="Burst">The bucket capacity.</param>
/// <param name="PerSecond">The refill rate.</param>
/// <param name="Available">Tokens available on this node now (negative while paying back peers' use).</param>
/// <param name="ConsumedByNode">Tokens handed out per node, this node first, as last synced.</param>
internal sealed record QuotaResponse(string Key, string Tier, double Burst, double PerSecond, double Available, long[] ConsumedByNode);
