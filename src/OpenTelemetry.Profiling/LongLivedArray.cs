using System.Runtime.CompilerServices;

namespace OpenTelemetry.Profiling;

/// <summary>
/// Arrays the profiler keeps for as long as it runs (rings, read buffers, interning tables). One of
/// large-object size goes on the pinned-object heap, not the large-object heap: the GC lets the large-object
/// heap grow before its next full collection by a multiple of what survived the last one, so every megabyte
/// the profiler kept there let several megabytes more of the app's own large garbage pile up between full
/// collections. The pinned-object heap has an allowance of its own, which the profiler's rare growth there
/// does not use up. Smaller arrays stay on the small-object heap, where the GC may still move them.
/// </summary>
internal static class LongLivedArray
{
    /// <summary>The runtime's large-object threshold: arrays of this many bytes or more skip the small-object heap.</summary>
    internal const int LargeObjectBytes = 85_000;

    public static T[] Allocate<T>(int length)
        where T : unmanaged
        => IsLarge<T>(length) ? GC.AllocateArray<T>(length, pinned: true) : new T[length];

    /// <summary>As <see cref="Allocate{T}"/>, for buffers whose contents are always written before they are read.</summary>
    public static T[] AllocateUninitialized<T>(int length)
        where T : unmanaged
        => GC.AllocateUninitializedArray<T>(length, pinned: IsLarge<T>(length));

    /// <summary>Replaces <paramref name="array"/> with one of <paramref name="length"/> elements holding its first ones.</summary>
    public static void Resize<T>(ref T[] array, int length)
        where T : unmanaged
    {
        var resized = Allocate<T>(length);
        array.AsSpan(0, Math.Min(array.Length, length)).CopyTo(resized);
        array = resized;
    }

    internal static bool IsLarge<T>(int length)
        where T : unmanaged
        => (long)length * Unsafe.SizeOf<T>() >= LargeObjectBytes;
}
