using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>
/// Interns raw stacks (instruction pointers, leaf first) into dense ids, for one export interval.
/// Open addressing over one flat arena of addresses: a stack seen before costs a hash and a compare and
/// allocates nothing; storage grows to the interval's peak and is reused after <see cref="Clear"/>.
/// At most <see cref="MaxStacks"/> distinct stacks are held; past that, new stacks are refused.
/// </summary>
internal sealed class StackInterner
{
    private ulong[] arena = new ulong[4096];
    private int arenaUsed;
    private int[] offsets;
    private int[] lengths;
    private int[] hashes;
    private int[] buckets;
    private int count;

    public StackInterner(int maxStacks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStacks, 1);
        this.MaxStacks = maxStacks;
        int initial = Math.Min(maxStacks, 1024);
        this.offsets = new int[initial];
        this.lengths = new int[initial];
        this.hashes = new int[initial];
        this.buckets = new int[BucketCountFor(initial)];
    }

    public int MaxStacks { get; }

    public int Count => this.count;

    /// <summary>Returns the stack's id, or -1 when the table is full and the stack is new.</summary>
    public int Intern(ReadOnlySpan<ulong> frames)
    {
        int hash = Hash(frames);
        int mask = this.buckets.Length - 1;
        int bucket = hash & mask;
        while (true)
        {
            int entry = this.buckets[bucket] - 1;
            if (entry < 0)
            {
                break;
            }

            if (this.hashes[entry] == hash && frames.SequenceEqual(this.Get(entry)))
            {
                return entry;
            }

            bucket = (bucket + 1) & mask;
        }

        if (this.count == this.MaxStacks)
        {
            return -1;
        }

        int id = this.count;
        this.EnsureCapacity(frames.Length);
        frames.CopyTo(this.arena.AsSpan(this.arenaUsed));
        this.offsets[id] = this.arenaUsed;
        this.lengths[id] = frames.Length;
        this.hashes[id] = hash;
        this.arenaUsed += frames.Length;
        this.count++;
        this.buckets[bucket] = id + 1;

        if (this.count * 2 > this.buckets.Length)
        {
            this.Rehash(this.buckets.Length * 2);
        }

        return id;
    }

    public ReadOnlySpan<ulong> Get(int id) => this.arena.AsSpan(this.offsets[id], this.lengths[id]);

    public void Clear()
    {
        Array.Clear(this.buckets);
        this.count = 0;
        this.arenaUsed = 0;
    }

    private static int BucketCountFor(int entries) => (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(entries * 2)));

    private static int Hash(ReadOnlySpan<ulong> frames)
    {
        var hash = default(HashCode);
        hash.AddBytes(MemoryMarshal.AsBytes(frames));
        return hash.ToHashCode() & int.MaxValue;
    }

    private void EnsureCapacity(int frames)
    {
        if (this.arenaUsed + frames > this.arena.Length)
        {
            Array.Resize(ref this.arena, Math.Max(this.arena.Length * 2, this.arenaUsed + frames));
        }

        if (this.count == this.offsets.Length)
        {
            int size = Math.Min(this.MaxStacks, this.offsets.Length * 2);
            Array.Resize(ref this.offsets, size);
            Array.Resize(ref this.lengths, size);
            Array.Resize(ref this.hashes, size);
        }
    }

    private void Rehash(int bucketCount)
    {
        this.buckets = new int[bucketCount];
        int mask = bucketCount - 1;
        for (int id = 0; id < this.count; id++)
        {
            int bucket = this.hashes[id] & mask;
            while (this.buckets[bucket] != 0)
            {
                bucket = (bucket + 1) & mask;
            }

            this.buckets[bucket] = id + 1;
        }
    }
}
