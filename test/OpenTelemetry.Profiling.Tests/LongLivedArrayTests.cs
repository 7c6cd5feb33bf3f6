namespace OpenTelemetry.Profiling.Tests;

[TestClass]
public sealed class LongLivedArrayTests
{
    [TestMethod]
    public void Allocate_LargeArrays_GoToThePinnedObjectHeap_NotTheLargeObjectHeap()
    {
        // What survives on the large-object heap raises the GC's allowance for the app's large garbage there;
        // the profiler's own large arrays must not count.
        const int Count = 40;
        const int Length = 32 * 1024; // 256 KB of longs: large-object size
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetGCMemoryInfo(GCKind.FullBlocking).GenerationInfo;

        var kept = new List<long[]>();
        for (int i = 0; i < Count; i++)
        {
            kept.Add(LongLivedArray.Allocate<long>(Length));
        }

        byte[] buffer = LongLivedArray.AllocateUninitialized<byte>(LongLivedArray.LargeObjectBytes);
        long[] grown = new long[16];
        grown[3] = 42;
        LongLivedArray.Resize(ref grown, Length);

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var after = GC.GetGCMemoryInfo(GCKind.FullBlocking).GenerationInfo;
        long expected = (long)(Count + 1) * Length * sizeof(long);
        long pinnedGrowth = after[4].SizeAfterBytes - before[4].SizeAfterBytes;
        long largeGrowth = after[3].SizeAfterBytes - before[3].SizeAfterBytes;
        Assert.IsGreaterThanOrEqualTo(expected, pinnedGrowth, $"pinned-object heap grew {pinnedGrowth:N0} bytes");
        Assert.IsLessThan(expected / 2, largeGrowth, $"large-object heap grew {largeGrowth:N0} bytes");
        Assert.AreEqual(42, grown[3], "a resize keeps what the array held");
        Assert.AreEqual(Length, grown.Length);
        GC.KeepAlive(kept);
        GC.KeepAlive(buffer);
    }

    [TestMethod]
    public void Allocate_SmallArrays_StayOnTheSmallObjectHeap()
    {
        Assert.IsFalse(LongLivedArray.IsLarge<long>(1024));
        Assert.IsFalse(LongLivedArray.IsLarge<byte>(LongLivedArray.LargeObjectBytes - 1));
        Assert.IsTrue(LongLivedArray.IsLarge<byte>(LongLivedArray.LargeObjectBytes));
        Assert.AreEqual(0, GC.GetGeneration(LongLivedArray.Allocate<long>(1024)), "a new small array starts in gen0, where the GC may move it");
    }
}
