namespace RateLimiterSync;

/// <summary>
/// The limit state of one API key on this node: the local token bucket plus a grow-only counter of the tokens
/// each node of the cluster handed out for the key (slot 0 is this node). Counters only grow and merge by
/// taking the maximum per slot, so syncing in any order, or twice, gives the same result.
/// </summary>
internal sealed class TenantLimit
{
    public const int LocalSlot = 0;

    private readonly Lock gate = new();
    private readonly long[] consumed;

    public TenantLimit(string key, QuotaTier tier, int nodeCount)
    {
        this.Key = key;
        this.Tier = tier;
        this.Bucket = new TokenBucket(tier.Burst, tier.PerSecond);
        this.consumed = new long[nodeCount];
    }

    public string Key { get; }

    public QuotaTier Tier { get; }

    public TokenBucket Bucket { get; }

    /// <summary>Admits one request if the bucket has a token, and counts it as this node's.</summary>
    public bool TryAcquire(out int remaining, out TimeSpan retryAfter)
    {
        if (!this.Bucket.TryTake(out remaining, out retryAfter))
        {
            return false;
        }

        lock (this.gate)
        {
            this.consumed[LocalSlot]++;
        }

        return true;
    }

    /// <summary>Copies the per-node counters.</summary>
    public long[] SnapshotConsumed()
    {
        lock (this.gate)
        {
            return (long[])this.consumed.Clone();
        }
    }

    /// <summary>
    /// Merges a peer's view of the counters (maximum per slot). What other nodes handed out since the last
    /// merge is drained from the local bucket, so the key's quota holds for the whole cluster.
    /// </summary>
    /// <returns>The tokens newly learnt to be consumed elsewhere.</returns>
    public long Merge(IReadOnlyList<long> remote)
    {
        long learnt = 0;
        lock (this.gate)
        {
            int slots = Math.Min(remote.Count, this.consumed.Length);
            for (int slot = 0; slot < slots; slot++)
            {
                long delta = remote[slot] - this.consumed[slot];
                if (delta > 0)
                {
                    this.consumed[slot] = remote[slot];

                    // Our own slot can only be ahead of a peer's copy; anything else is remote consumption.
                    if (slot != LocalSlot)
                    {
                        learnt += delta;
                    }
                }
            }
        }

        if (learnt > 0)
        {
            this.Bucket.Drain(learnt);
        }

        return learnt;
    }
}
