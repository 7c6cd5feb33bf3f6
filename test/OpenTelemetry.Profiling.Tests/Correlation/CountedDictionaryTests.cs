using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
public sealed class CountedDictionaryTests
{
    [TestMethod]
    public void Count_FollowsOnlyTheAddsAndRemovesThatHappened()
    {
        var table = new CountedDictionary<int, string>();

        Assert.IsTrue(table.TryAdd(1, "a"));
        Assert.IsFalse(table.TryAdd(1, "b"), "a key added twice");
        Assert.IsTrue(table.TryAdd(2, "c"));
        Assert.IsFalse(table.TryRemove(3), "a key never added");
        Assert.IsTrue(table.TryUpdate(1, "d", "a"));
        Assert.IsFalse(table.TryUpdate(2, "e", "not the current value"));
        Assert.AreEqual(2, table.Count);

        Assert.IsTrue(table.TryRemove(1));
        Assert.IsFalse(table.TryRemove(1), "removed twice");
        Assert.IsFalse(table.TryUpdate(1, "f", "d"), "a removed entry does not come back");
        Assert.AreEqual(1, table.Count);
        Assert.AreEqual(1, table.ToList().Count, "entries enumerated");
    }

    [TestMethod]
    public void Count_MatchesTheEntries_AfterThreadsRaceToAddAndRemoveTheSameKeys()
    {
        var table = new CountedDictionary<int, int>();

        Parallel.For(0, 8, worker =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                int key = i % 500;
                if ((i + worker) % 3 == 0)
                {
                    table.TryRemove(key);
                }
                else
                {
                    table.TryAdd(key, worker);
                }
            }
        });

        Assert.AreEqual(table.ToList().Count, table.Count, "the count kept beside the table against its entries");
    }
}
