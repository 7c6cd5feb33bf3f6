using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Model;

/// <summary>
/// Compares int arrays by content, for interning stacks and attribute sets; also looks them up by span
/// so that a lookup that hits allocates nothing.
/// </summary>
internal sealed class IntArrayComparer : IEqualityComparer<int[]>, IAlternateEqualityComparer<ReadOnlySpan<int>, int[]>
{
    public static readonly IntArrayComparer Instance = new();

    public bool Equals(int[]? x, int[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(int[] obj) => Hash(obj);

    public bool Equals(ReadOnlySpan<int> alternate, int[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<int> alternate) => Hash(alternate);

    public int[] Create(ReadOnlySpan<int> alternate) => alternate.ToArray();

    private static int Hash(ReadOnlySpan<int> values)
    {
        var hash = default(HashCode);
        hash.AddBytes(MemoryMarshal.AsBytes(values));
        return hash.ToHashCode();
    }
}
