using OpenTelemetry.Profiling.Aggregation;

namespace OpenTelemetry.Profiling.Tests.Aggregation;

[TestClass]
public sealed class StackInternerTests
{
    [TestMethod]
    public void Intern_WhenAStackRepeats_ReturnsItsFirstId()
    {
        var interner = new StackInterner(100);

        int a = interner.Intern([1, 2, 3]);
        int b = interner.Intern([1, 2, 4]);
        int again = interner.Intern([1, 2, 3]);

        Assert.AreEqual(a, again);
        Assert.AreNotEqual(a, b);
        Assert.AreEqual(2, interner.Count);
        CollectionAssert.AreEqual(new ulong[] { 1, 2, 4 }, interner.Get(b).ToArray());
    }

    [TestMethod]
    public void Intern_WhenTheTableIsFull_RefusesNewStacksButFindsKnownOnes()
    {
        var interner = new StackInterner(2);
        interner.Intern([1]);
        interner.Intern([2]);

        Assert.AreEqual(-1, interner.Intern([3]));
        Assert.AreEqual(0, interner.Intern([1]));
    }

    [TestMethod]
    public void Intern_WithManyStacks_KeepsEveryStackRetrievable()
    {
        var interner = new StackInterner(50_000);
        for (ulong i = 0; i < 20_000; i++)
        {
            Assert.AreEqual((int)i, interner.Intern([i, i + 1, 0xdead]));
        }

        for (ulong i = 0; i < 20_000; i++)
        {
            Assert.AreEqual((int)i, interner.Intern([i, i + 1, 0xdead]));
            Assert.AreEqual(i + 1, interner.Get((int)i)[1]);
        }
    }

    [TestMethod]
    public void Clear_ForgetsEveryStack()
    {
        var interner = new StackInterner(10);
        interner.Intern([7, 8]);

        interner.Clear();

        Assert.AreEqual(0, interner.Count);
        Assert.AreEqual(0, interner.Intern([9]));
    }
}
