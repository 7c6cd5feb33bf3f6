using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
[DoNotParallelize] // SpanNames is one table per process
public sealed class SpanNamesTests
{
    private static ulong nextRootId = 0x5EED_0000_0000;

    [TestMethod]
    public void Of_AfterTheRootEnded_IsItsFinalNameNotTheNameItStartedWith()
    {
        var span = Key(NextRoot(), SpanNames.Intern("GET"));

        SpanNames.RootEnded(span.RootSpanId, "GET /orders/{id}");

        Assert.AreEqual("GET /orders/{id}", SpanNames.Of(span));
        Assert.AreEqual("GET", SpanNames.Of(Key(NextRoot(), SpanNames.Intern("GET"))), "a root that has not ended keeps its early name");
    }

    [TestMethod]
    public void Intern_NamesAlternatingOnAThread_KeepTheirOwnIds()
    {
        // A thread alternates between a root's early and final name (the thread's two cached names), and a
        // third name pushes the older one out; equal content in new strings, as ASP.NET Core builds them.
        string[] names = ["GET", "GET /orders/{id}", "POST /orders"];
        int[] ids = [.. names.Select(name => SpanNames.Intern(new string(name.AsSpan())))];
        CollectionAssert.AllItemsAreUnique(ids);
        CollectionAssert.DoesNotContain(ids, 0);

        int[] order = [0, 1, 0, 1, 1, 0, 2, 0, 2, 1, 2, 2, 0, 1];
        foreach (int i in order)
        {
            Assert.AreEqual(ids[i], SpanNames.Intern(new string(names[i].AsSpan())), names[i]);
        }

        // Another thread gets the same ids.
        int[] elsewhere = Task.Run(() => names.Select(SpanNames.Intern).ToArray()).Result;
        CollectionAssert.AreEqual(ids, elsewhere);
    }

    [TestMethod]
    public void RootEnded_WhenTheTableIsFull_ForgetsTheOldestRootAndCountsIt()
    {
        ulong oldest = NextRoot();
        SpanNames.RootEnded(oldest, "GET /oldest");
        long droppedBefore = SpanNames.Dropped;

        ulong newest = 0;
        for (int i = 0; i < SpanNames.MaxRoots; i++)
        {
            newest = NextRoot();
            SpanNames.RootEnded(newest, "GET /newer");
        }

        Assert.AreEqual("GET", SpanNames.Of(Key(oldest, SpanNames.Intern("GET"))), "the oldest root's final name was forgotten");
        Assert.AreEqual("GET /newer", SpanNames.Of(Key(newest, SpanNames.Intern("GET"))));
        Assert.IsGreaterThanOrEqualTo(1L, SpanNames.Dropped - droppedBefore);
    }

    [TestMethod]
    public void RootEnded_InSteadyState_AllocatesNothingPerRoot()
    {
        // ASP.NET Core builds a new display name string per request: the table must not keep it, nor a node.
        var names = Enumerable.Range(0, 50_000).Select(i => string.Concat("GET /api/", i % 2 == 0 ? "check" : "quota")).ToArray();
        var roots = Enumerable.Range(0, names.Length).Select(_ => NextRoot()).ToArray();
        for (int i = 0; i < SpanNames.MaxRoots + 100; i++)
        {
            SpanNames.RootEnded(NextRoot(), names[i % 2]); // the table and the names' ids at their full size
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < names.Length; i++)
        {
            SpanNames.RootEnded(roots[i], names[i]);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(1024L, allocated, $"{allocated} bytes for {names.Length} roots");
        Assert.AreEqual("GET /api/quota", SpanNames.Of(Key(roots[^1], 0)));
    }

    private static ulong NextRoot() => Interlocked.Increment(ref nextRootId);

    private static SpanKey Key(ulong rootSpanId, int rootNameId) => new(0x1234, 0x5678, rootSpanId, rootSpanId, rootNameId);
}
