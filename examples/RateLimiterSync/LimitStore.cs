using System.Collections.Frozen;
using System.Globalization;

namespace RateLimiterSync;

/// <summary>
/// The limits of every known API key on this node. The tenant directory is fixed at start (a real service
/// would load it), so lookups need no locking; each <see cref="TenantLimit"/> guards its own state.
/// </summary>
internal sealed class LimitStore
{
    private readonly FrozenDictionary<string, TenantLimit> byKey;

    public LimitStore(int keyCount, int peerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keyCount);
        ArgumentOutOfRangeException.ThrowIfNegative(peerCount);
        this.NodeCount = peerCount + 1;
        var all = new TenantLimit[keyCount];
        for (int i = 0; i < keyCount; i++)
        {
            all[i] = new TenantLimit(KeyName(i), QuotaTier.ForKeyIndex(i), this.NodeCount);
        }

        this.All = all;
        this.byKey = all.ToFrozenDictionary(limit => limit.Key, StringComparer.Ordinal);
    }

    /// <summary>Gets the number of nodes in the cluster, this one included.</summary>
    public int NodeCount { get; }

    /// <summary>Gets every key's limit, in key order.</summary>
    public IReadOnlyList<TenantLimit> All { get; }

    public static string KeyName(int index) => "tenant-" + index.ToString("D5", CultureInfo.InvariantCulture);

    public TenantLimit? Find(string key) => this.byKey.GetValueOrDefault(key);
}
