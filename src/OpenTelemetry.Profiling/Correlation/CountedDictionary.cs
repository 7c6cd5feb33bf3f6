using System.Collections;
using System.Collections.Concurrent;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// A <see cref="ConcurrentDictionary{TKey, TValue}"/> counted beside it, for tables bounded on the app's
/// threads: <see cref="ConcurrentDictionary{TKey, TValue}.Count"/> takes every lock of the table, and asking it
/// at each span start or end made the app's threads contend. The count follows the adds and removes made
/// through this type.
/// </summary>
internal sealed class CountedDictionary<TKey, TValue>(IEqualityComparer<TKey>? comparer = null) : IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> items = new(comparer);
    private int count;

    public int Count => Volatile.Read(ref this.count);

    public bool TryAdd(TKey key, TValue value)
    {
        if (!this.items.TryAdd(key, value))
        {
            return false;
        }

        Interlocked.Increment(ref this.count);
        return true;
    }

    public bool TryRemove(TKey key)
    {
        if (!this.items.TryRemove(key, out _))
        {
            return false;
        }

        Interlocked.Decrement(ref this.count);
        return true;
    }

    public bool TryGetValue(TKey key, out TValue value) => this.items.TryGetValue(key, out value!);

    /// <summary>Replaces the value only if it is still <paramref name="comparison"/>: an entry removed meanwhile stays removed.</summary>
    public bool TryUpdate(TKey key, TValue value, TValue comparison) => this.items.TryUpdate(key, value, comparison);

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => this.items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => this.GetEnumerator();
}
