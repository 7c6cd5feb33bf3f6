namespace RateLimiterSync;

/// <summary>
/// A simulated peer of this node, living in-process: it has its own view of every key's counters, serves its
/// own (made-up) traffic, and syncs with this node through the same wire format a real peer would use.
/// </summary>
internal sealed class PeerNode
{
    // Share of each hot key's quota one peer uses: three peers together leave most of it to this node.
    private const double HotKeyQuotaShare = 0.1;

    // The first keys are the busy tenants (the load generator uses them too); the others see a trickle.
    private const int HotKeyCount = 16;

    private readonly Dictionary<string, long[]> view = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<TenantLimit> keys;
    private readonly Random random;

    public PeerNode(int nodeId, LimitStore store)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodeId);
        this.NodeId = nodeId;
        this.keys = store.All;
        this.random = new Random(nodeId);
        foreach (var limit in this.keys)
        {
            this.view.Add(limit.Key, new long[store.NodeCount]);
        }
    }

    public int NodeId { get; }

    /// <summary>Hands out tokens on this peer, as its own clients would have, since the last round.</summary>
    /// <returns>The tokens handed out.</returns>
    public long SimulateTraffic(TimeSpan elapsed)
    {
        long total = 0;
        for (int i = 0; i < this.keys.Count; i++)
        {
            var limit = this.keys[i];
            double expected = i < HotKeyCount
                ? limit.Tier.PerSecond * elapsed.TotalSeconds * HotKeyQuotaShare
                : 0.002; // a quiet tenant now and then

            // Whole tokens plus a chance for the fraction, so the rate is right on average.
            long tokens = (long)expected + (this.random.NextDouble() < expected - Math.Floor(expected) ? 1 : 0);
            if (tokens > 0)
            {
                this.view[limit.Key][this.NodeId] += tokens;
                total += tokens;
            }
        }

        return total;
    }

    /// <summary>Serializes this peer's view, as it would put it on the wire.</summary>
    public byte[] ExportSnapshot(long round) => ReplicationCodec.Encode(this.NodeId, round, this.view);

    /// <summary>Merges a snapshot from another node (maximum per slot).</summary>
    /// <returns>The number of entries rejected for a bad signature.</returns>
    public int ImportSnapshot(byte[] payload)
    {
        var (entries, rejected) = ReplicationCodec.Decode(payload);
        foreach (var entry in entries)
        {
            if (!this.view.TryGetValue(entry.Key, out long[]? counters))
            {
                continue;
            }

            for (int slot = 0; slot < Math.Min(counters.Length, entry.Consumed.Length); slot++)
            {
                counters[slot] = Math.Max(counters[slot], entry.Consumed[slot]);
            }
        }

        return rejected;
    }

    public string Digest() => ReplicationCodec.Digest(this.view);
}
