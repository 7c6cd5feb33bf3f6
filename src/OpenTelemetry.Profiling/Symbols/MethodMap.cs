using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Symbols;

/// <summary>
/// Maps native code addresses to methods, from the runtime's method load, rundown and ReadyToRun entry-point
/// events. Writers (the method-event consumer) and readers (the native sampler's drain, which asks
/// <see cref="StartOf"/> about frames and is mostly answered from its cache, and aggregation, which resolves an
/// interval's addresses in bulk) run on different threads, so every call takes a lock. New ranges are appended
/// and merged lazily before a lookup, so a rundown of tens of thousands of methods costs one sort, not one
/// insertion each.
/// </summary>
internal sealed class MethodMap
{
    /// <summary>ReadyToRun entry-point events carry no size: such a method is assumed to end at the next known start, at most this far.</summary>
    internal const uint AssumedMaxSizeWithoutLength = 4096;

    /// <summary>At most this many addresses are remembered by <see cref="StartOf"/>; the cache starts over when full.</summary>
    internal const int MaxCachedStarts = 16_384;

    /// <summary>More new ranges than this in one merge (a rundown) empty the cache instead of being checked against it.</summary>
    private const int MaxRangesCheckedAgainstCache = 256;

    /// <summary>What the pending list keeps across merges: room for a batch of compiled methods, not for a rundown.</summary>
    private const int PendingCapacityKept = 256;

    private readonly Lock gate = new();

    /// <summary>
    /// <see cref="StartOf"/>'s answers (0 included) by address. The native sampler asks about every frame of
    /// every sample, several times, and the same return addresses recur from sample to sample: one hash lookup
    /// instead of a binary search over tens of thousands of ranges. A merge forgets the answers its new ranges
    /// change; a removal forgets all.
    /// </summary>
    private readonly Dictionary<ulong, ulong> startCache = [];
    private long removals;
    private readonly Dictionary<ulong, string> moduleNames = [];
    private readonly List<Range> pending = [];
    private Range[] ranges = [];
    private int rangeCount;
    private long sequence;

    public int Count
    {
        get
        {
            lock (this.gate)
            {
                return this.rangeCount + this.pending.Count;
            }
        }
    }

    public void AddModule(ulong moduleId, string? path)
    {
        string name = MethodNameFormatter.ModuleFileName(path);
        if (name.Length == 0)
        {
            return;
        }

        lock (this.gate)
        {
            this.moduleNames[moduleId] = name;
        }
    }

    /// <summary>Adds a method's code range; <paramref name="size"/> 0 means unknown.</summary>
    public void AddMethod(ulong start, uint size, string? typeName, string? methodName, ulong moduleId)
    {
        if (start == 0)
        {
            return;
        }

        var entry = new MethodEntry(MethodNameFormatter.Format(typeName, methodName), moduleId);
        lock (this.gate)
        {
            this.pending.Add(new Range(start, size, entry, this.sequence++));
        }
    }

    /// <summary>Gets the room the list of not yet merged methods holds on to (for tests).</summary>
    internal int PendingCapacity
    {
        get
        {
            lock (this.gate)
            {
                return this.pending.Capacity;
            }
        }
    }

    /// <summary>Gets how many methods have been forgotten: caches of what lies at an address are stale once it moves.</summary>
    public long Removals => Interlocked.Read(ref this.removals);

    /// <summary>Forgets the code of an unloaded method (collectible assemblies), so a later method at that address is not misnamed.</summary>
    public void RemoveMethod(ulong start)
    {
        Interlocked.Increment(ref this.removals);
        lock (this.gate)
        {
            this.MergePending();
            int i = this.FindLastAtOrBefore(start);
            if (i >= 0 && this.ranges[i].Start == start)
            {
                Array.Copy(this.ranges, i + 1, this.ranges, i, this.rangeCount - i - 1);
                this.rangeCount--;
                this.ranges[this.rangeCount] = default;
            }

            this.startCache.Clear();
        }
    }

    public MethodSymbol? Resolve(ulong address)
    {
        lock (this.gate)
        {
            this.MergePending();
            return this.ResolveLocked(address);
        }
    }

    /// <summary>Gets the start of the method whose code holds <paramref name="address"/>, or 0 when none known does.</summary>
    public ulong StartOf(ulong address)
    {
        lock (this.gate)
        {
            this.MergePending();
            if (this.startCache.TryGetValue(address, out ulong start))
            {
                return start;
            }

            int i = this.FindRange(address);
            start = i < 0 ? 0 : this.ranges[i].Start;
            if (this.startCache.Count >= MaxCachedStarts)
            {
                this.startCache.Clear();
            }

            this.startCache[address] = start;
            return start;
        }
    }

    /// <summary>The index of the range that holds <paramref name="address"/>, or -1.</summary>
    private int FindRange(ulong address)
    {
        int i = this.FindLastAtOrBefore(address);
        if (i < 0)
        {
            return -1;
        }

        ref Range range = ref this.ranges[i];
        ulong limit = range.Size != 0
            ? range.Size
            : Math.Min(AssumedMaxSizeWithoutLength, i + 1 < this.rangeCount ? this.ranges[i + 1].Start - range.Start : AssumedMaxSizeWithoutLength);
        return address - range.Start < limit ? i : -1;
    }

    private MethodSymbol? ResolveLocked(ulong address)
    {
        int i = this.FindRange(address);
        if (i < 0)
        {
            return null;
        }

        ref Range range = ref this.ranges[i];
        return range.Entry.Symbol ??= new MethodSymbol(
            range.Entry.Name,
            this.moduleNames.TryGetValue(range.Entry.ModuleId, out string? module) ? module : string.Empty);
    }

    private int FindLastAtOrBefore(ulong address) => LastAtOrBefore(this.ranges.AsSpan(0, this.rangeCount), address);

    /// <summary>The index of the last of <paramref name="sorted"/> (by start) that starts at or before <paramref name="address"/>, or -1.</summary>
    private static int LastAtOrBefore(ReadOnlySpan<Range> sorted, ulong address)
    {
        int lo = 0, hi = sorted.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid].Start <= address)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    private void MergePending()
    {
        if (this.pending.Count == 0)
        {
            return;
        }

        // A start address seen again (re-JIT after unload, or the same method from rundown and load events)
        // keeps one entry: the latest with a size, else the latest. Pending entries are all newer than the
        // merged ones, so folding the pending ones first and then meeting the merged entry gives the same.
        // The merge runs in place, from the back, into an array that grows by doubling: a fresh array per
        // merge (tens of thousands of ranges, on the large-object heap) was most of the profiler's
        // large-object churn where methods keep loading.
        this.pending.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Sequence.CompareTo(b.Sequence));
        int newCount = 0;
        var incoming = CollectionsMarshal.AsSpan(this.pending);
        foreach (var range in incoming)
        {
            if (newCount > 0 && incoming[newCount - 1].Start == range.Start)
            {
                incoming[newCount - 1] = Latest(incoming[newCount - 1], range);
                continue;
            }

            incoming[newCount++] = range;
        }

        int capacity = this.rangeCount + newCount;
        if (capacity > this.ranges.Length)
        {
            Array.Resize(ref this.ranges, Math.Max(capacity, Math.Max(256, this.ranges.Length * 2)));
        }

        int i = this.rangeCount - 1, j = newCount - 1, k = capacity - 1;
        while (j >= 0)
        {
            if (i >= 0 && this.ranges[i].Start > incoming[j].Start)
            {
                this.ranges[k--] = this.ranges[i--];
            }
            else if (i >= 0 && this.ranges[i].Start == incoming[j].Start)
            {
                this.ranges[k--] = Latest(this.ranges[i--], incoming[j--]);
            }
            else
            {
                this.ranges[k--] = incoming[j--];
            }
        }

        // Entries up to i never moved; each merged duplicate left one slot free between i and k: close the gap.
        int gap = k - i;
        if (gap > 0)
        {
            Array.Copy(this.ranges, k + 1, this.ranges, i + 1, capacity - k - 1);
            Array.Clear(this.ranges, capacity - gap, gap);
        }

        this.rangeCount = capacity - gap;
        this.ForgetCachedStarts(incoming[..newCount]);
        this.pending.Clear();

        // The start-up rundown adds every method at once (tens of thousands); later merges take a few
        // compiled methods at a time. A list grown for the rundown would keep its large-object array for good.
        if (this.pending.Capacity > PendingCapacityKept)
        {
            this.pending.Capacity = PendingCapacityKept;
        }
    }

    /// <summary>
    /// Forgets the cached answers that new ranges (sorted by start) may change: an address a new range may hold
    /// (up to its size, or the assumed size), and an address whose cached method starts at or before a new start
    /// that lies at or before the address (the new range is now the last one at or before it).
    /// </summary>
    private void ForgetCachedStarts(ReadOnlySpan<Range> incoming)
    {
        if (this.startCache.Count == 0)
        {
            return;
        }

        if (incoming.Length > MaxRangesCheckedAgainstCache)
        {
            this.startCache.Clear();
            return;
        }

        foreach (var (address, start) in this.startCache)
        {
            // The last new range at or before the address decides both cases: an earlier one cannot hold it
            // without the later one being a range between (the map keeps the last start at or before).
            int last = LastAtOrBefore(incoming, address);
            if (last < 0)
            {
                continue;
            }

            ulong newStart = incoming[last].Start;
            ulong limit = incoming[last].Size != 0 ? incoming[last].Size : AssumedMaxSizeWithoutLength;
            if ((start != 0 && newStart >= start) || address - newStart < limit)
            {
                // Removing the entry just enumerated is allowed while enumerating a dictionary.
                this.startCache.Remove(address);
            }
        }
    }

    /// <summary>Of two entries for one start, the newer unless only the older has a size.</summary>
    private static Range Latest(Range older, Range newer) => newer.Size != 0 || older.Size == 0 ? newer : older;

    private record struct Range(ulong Start, uint Size, MethodEntry Entry, long Sequence);

    private sealed class MethodEntry(string name, ulong moduleId)
    {
        public string Name { get; } = name;

        public ulong ModuleId { get; } = moduleId;

        public MethodSymbol? Symbol { get; set; }
    }
}
