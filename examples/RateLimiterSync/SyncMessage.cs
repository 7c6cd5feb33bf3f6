namespace RateLimiterSync;

/// <summary>A node's full snapshot of its counters: what a node sends a peer in one sync round.</summary>
/// <param name="NodeId">The sender.</param>
/// <param name="Round">The sync round it was made for.</param>
/// <param name="Entries">One entry per key.</param>
internal sealed record SyncMessage(int NodeId, long Round, IReadOnlyList<SyncEntry> Entries);
