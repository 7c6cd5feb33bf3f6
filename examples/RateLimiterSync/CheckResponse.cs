namespace RateLimiterSync;

/// <summary>The body of <c>GET /api/check</c>.</summary>
/// <param name="Key">The API key the request was made with.</param>
/// <param name="Input">The checked input.</param>
/// <param name="Token">The derived token, hex.</param>
internal sealed record CheckResponse(string Key, string Input, string Token);
