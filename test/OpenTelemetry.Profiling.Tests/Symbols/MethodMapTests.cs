using OpenTelemetry.Profiling.Symbols;

namespace OpenTelemetry.Profiling.Tests.Symbols;

[TestClass]
public sealed class MethodMapTests
{
    [TestMethod]
    public void Resolve_FindsTheMethodWhoseRangeHoldsTheAddress()
    {
        var map = new MethodMap();
        map.AddModule(3, "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/System.Private.CoreLib.dll");
        map.AddMethod(0x2000, 0x20, "System.Threading.ExecutionContext", "RunInternal", 3);
        map.AddMethod(0x1000, 0x10, "App.Program", "Main", 0);

        Assert.AreEqual("System.Threading.ExecutionContext.RunInternal", map.Resolve(0x201f)?.Name);
        Assert.AreEqual("System.Private.CoreLib.dll", map.Resolve(0x2000)?.ModuleName);
        Assert.AreEqual("App.Program.Main", map.Resolve(0x1000)?.Name);
        Assert.IsNull(map.Resolve(0x2020), "one past the end is outside");
        Assert.IsNull(map.Resolve(0x0fff));
    }

    [TestMethod]
    public void StartOf_GivesTheStartOfTheMethodHoldingTheAddress_OrZero()
    {
        var map = new MethodMap();
        map.AddMethod(0x2000, 0x20, "App", "Sized", 0);
        map.AddMethod(0x3000, 0, "R2R", "NoSize", 0);
        map.AddMethod(0x3040, 0x10, "R2R", "Next", 0);

        Assert.AreEqual(0x2000UL, map.StartOf(0x201f));
        Assert.AreEqual(0UL, map.StartOf(0x2020), "one past the end is outside");
        Assert.AreEqual(0x3000UL, map.StartOf(0x303f), "an unsized method ends at the next start");
        Assert.AreEqual(0x3040UL, map.StartOf(0x3040));
        Assert.AreEqual(0UL, map.StartOf(0x1000));
    }

    [TestMethod]
    public void Resolve_WhenTheSizeIsUnknown_AssumesTheMethodEndsAtTheNextKnownStart()
    {
        var map = new MethodMap();
        map.AddMethod(0x1000, 0, "R2R", "NoSize", 0);
        map.AddMethod(0x1040, 0x10, "R2R", "Next", 0);

        Assert.AreEqual("R2R.NoSize", map.Resolve(0x103f)?.Name);
        Assert.AreEqual("R2R.Next", map.Resolve(0x1040)?.Name);
        Assert.IsNull(map.Resolve(0x1000 + MethodMap.AssumedMaxSizeWithoutLength + 0x100), "bounded even when nothing follows");
    }

    [TestMethod]
    public void AddMethod_WhenTheSameStartIsSeenAgain_TheSizedAndLatestEntryWins()
    {
        var map = new MethodMap();
        map.AddMethod(0x1000, 0x10, "A", "Sized", 0);
        map.AddMethod(0x1000, 0, "A", "Unsized", 0);
        map.AddMethod(0x2000, 0x10, "B", "Old", 0);
        Assert.AreEqual("A.Sized", map.Resolve(0x1001)?.Name);

        map.AddMethod(0x2000, 0x10, "B", "New", 0);

        Assert.AreEqual("B.New", map.Resolve(0x2001)?.Name);
    }

    [TestMethod]
    public void RemoveMethod_ForgetsUnloadedCode()
    {
        var map = new MethodMap();
        map.AddMethod(0x1000, 0x10, "Collectible", "Gone", 0);

        map.RemoveMethod(0x1000);

        Assert.IsNull(map.Resolve(0x1001));
    }

    [TestMethod]
    public void Resolve_AfterManyMergesOfNewRemovedAndRepeatedStarts_AgreesWithAPlainTable()
    {
        // Methods keep loading in a live service, so the map merges new ranges before every interval's lookups:
        // random batches with repeated starts (sized and unsized, in and across batches) and unloads, checked
        // after each batch against a table that applies the rules directly.
        var random = new Random(20261122);
        var map = new MethodMap();
        var table = new SortedDictionary<ulong, (uint Size, string Name)>();
        int added = 0;
        for (int batch = 0; batch < 60; batch++)
        {
            for (int n = random.Next(1, 120); n > 0; n--)
            {
                ulong start = 0x10000 + ((ulong)random.Next(0, 2000) * 0x40);
                uint size = random.Next(3) == 0 ? 0u : (uint)random.Next(1, 0x80);
                string name = "M" + added++;
                map.AddMethod(start, size, "T", name, 0);
                if (!table.TryGetValue(start, out var old) || size != 0 || old.Size == 0)
                {
                    table[start] = (size, "T." + name);
                }
            }

            if (batch % 7 == 6)
            {
                foreach (ulong start in table.Keys.Where(_ => random.Next(10) == 0).ToList())
                {
                    map.RemoveMethod(start);
                    table.Remove(start);
                }
            }

            ulong[] starts = [.. table.Keys];
            for (ulong address = 0x10000 - 0x10; address < 0x10000 + (2001 * 0x40); address += 0x1d)
            {
                Assert.AreEqual(Expected(table, starts, address), map.Resolve(address)?.Name, $"batch {batch}, address 0x{address:x}");
            }
        }

        Assert.AreEqual(table.Count, map.Count);
    }

    [TestMethod]
    public void Resolve_AfterAFewNewMethods_DoesNotCopyTheWholeMap()
    {
        // Tier-1 re-JITs and dynamic methods trickle in for the life of a service: each merge of a few new
        // ranges into tens of thousands must not allocate a new table (about 32 bytes per range).
        var map = new MethodMap();
        for (int i = 0; i < 20_000; i++)
        {
            map.AddMethod(0x100000 + ((ulong)i * 0x100), 0x80, "T", "M", 0);
        }

        map.Resolve(0x100000);
        map.AddMethod(0x10, 0x8, "T", "First", 0);
        map.Resolve(0x10); // the table grows once, by doubling

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int merge = 0; merge < 50; merge++)
        {
            for (int i = 0; i < 10; i++)
            {
                map.AddMethod(0x8000000 + ((ulong)((merge * 10) + i) * 0x100), 0x80, "T", "Late", 0);
            }

            Assert.AreEqual("T.Late", map.Resolve(0x8000000 + ((ulong)merge * 10 * 0x100))?.Name);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(256 * 1024, allocated, $"50 merges allocated {allocated} bytes; one copy of the table is about 640 KB");
    }

    [TestMethod]
    public void Resolve_AfterTheRundownsMerge_DoesNotKeepRoomForAnotherRundown()
    {
        // The rundown adds every method at once; the list that took them (a 640 KB array for 20,000) must not
        // stay in the app's large-object heap for the life of the service, only room for what trickles in after.
        var map = new MethodMap();
        for (int i = 0; i < 20_000; i++)
        {
            map.AddMethod(0x100000 + ((ulong)i * 0x100), 0x80, "T", "M", 0);
        }

        Assert.IsGreaterThanOrEqualTo(20_000, map.PendingCapacity);
        Assert.AreEqual("T.M", map.Resolve(0x100000)?.Name);
        Assert.IsLessThanOrEqualTo(256, map.PendingCapacity);

        for (int i = 0; i < 10; i++)
        {
            map.AddMethod(0x8000000 + ((ulong)i * 0x100), 0x80, "T", "Late", 0);
        }

        Assert.AreEqual("T.Late", map.Resolve(0x8000000)?.Name);
        Assert.AreEqual(20_010, map.Count);
        Assert.IsLessThanOrEqualTo(256, map.PendingCapacity);
    }

    [TestMethod]
    public void StartOf_AsMethodsKeepArriving_AnswersAsTheWholeMapDoes()
    {
        // StartOf remembers its answers; methods added later (sized or not, before, inside or after a known
        // one, at a start seen before) must change exactly the answers the whole map would give differently.
        var random = new Random(20261207);
        var map = new MethodMap();
        var table = new SortedDictionary<ulong, (uint Size, string Name)>();
        var asked = new List<ulong>();
        int stale = 0;
        for (int batch = 0; batch < 300; batch++)
        {
            for (int i = random.Next(1, 6); i > 0; i--)
            {
                ulong start = 0x10000 + ((ulong)random.Next(0, 4096) * 0x10);
                uint size = random.Next(3) == 0 ? 0 : (uint)random.Next(1, 0x400);
                string name = $"M{start:x}_{batch}";
                map.AddMethod(start, size, "T", name, 0);
                table[start] = size != 0 || !table.TryGetValue(start, out var old) || old.Size == 0 ? (size, $"T.{name}") : old;
            }

            var starts = table.Keys.ToArray();
            for (int i = 0; i < 40; i++)
            {
                ulong address = random.Next(2) == 0 && asked.Count > 0 ? asked[random.Next(asked.Count)] : 0x10000 + (ulong)random.Next(0, 0x11000);
                asked.Add(address);
                string? expected = Expected(table, starts, address);
                ulong start = map.StartOf(address);
                if ((expected is null ? 0UL : ExpectedStart(starts, address)) != start)
                {
                    stale++;
                }
            }
        }

        Assert.AreEqual(0, stale, "answers that differ from the whole map's");
    }

    [TestMethod]
    public void StartOf_AfterAMethodWasRemoved_ForgetsWhatItRemembered()
    {
        var map = new MethodMap();
        map.AddMethod(0x1000, 0x100, "T", "Unloaded", 0);
        Assert.AreEqual(0x1000UL, map.StartOf(0x1010));
        map.RemoveMethod(0x1000);
        Assert.AreEqual(0UL, map.StartOf(0x1010), "the code of an unloaded method may be reused");
        map.AddMethod(0x1008, 0x100, "T", "Next", 0);
        Assert.AreEqual(0x1008UL, map.StartOf(0x1010));
    }

    private static ulong ExpectedStart(ulong[] starts, ulong address)
    {
        int i = Array.BinarySearch(starts, address);
        return starts[i >= 0 ? i : ~i - 1];
    }

    private static string? Expected(SortedDictionary<ulong, (uint Size, string Name)> table, ulong[] starts, ulong address)
    {
        int i = Array.BinarySearch(starts, address);
        i = i >= 0 ? i : ~i - 1;
        if (i < 0)
        {
            return null;
        }

        var (size, name) = table[starts[i]];
        ulong limit = size != 0
            ? size
            : Math.Min(MethodMap.AssumedMaxSizeWithoutLength, i + 1 < starts.Length ? starts[i + 1] - starts[i] : MethodMap.AssumedMaxSizeWithoutLength);
        return address - starts[i] < limit ? name : null;
    }

    [TestMethod]
    [DataRow("System.Collections.Generic.Dictionary`2[System.__Canon,System.Int32]", "FindValue", "System.Collections.Generic.Dictionary`2.FindValue")]
    [DataRow("RateLimiterSync.LimitSync+<SyncLimitsAsync>d__4", "MoveNext", "RateLimiterSync.LimitSync/<SyncLimitsAsync>d__4.MoveNext")]
    [DataRow("", "Main", "Main")]
    [DataRow("A.B", "M[System.Int32]", "A.B.M")]
    public void Format_UsesTheEbpfProfilerNamingForDotnetFrames(string type, string method, string expected)
    {
        Assert.AreEqual(expected, MethodNameFormatter.Format(type, method));
    }
}
