namespace RateLimiterSync;

/// <summary>One key's counters as sent between nodes, signed so a node can tell a corrupted entry.</summary>
/// <param name="Key">The API key.</param>
/// <param name="Consumed">Tokens handed out per node, indexed by node id.</param>
/// <param name="Mac">HMAC-SHA256 of the key and counters, hex.</param>
internal sealed record SyncEntry(string Key, long[] Consumed, string Mac);
