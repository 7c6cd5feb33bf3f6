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
    [DataRow("System.Collections.Generic.Dictionary`2[System.__Canon,System.Int32]", "FindValue", "System.Collections.Generic.Dictionary`2.FindValue")]
    [DataRow("RateLimiterSync.LimitSync+<SyncLimitsAsync>d__4", "MoveNext", "RateLimiterSync.LimitSync/<SyncLimitsAsync>d__4.MoveNext")]
    [DataRow("", "Main", "Main")]
    [DataRow("A.B", "M[System.Int32]", "A.B.M")]
    public void Format_UsesTheEbpfProfilerNamingForDotnetFrames(string type, string method, string expected)
    {
        Assert.AreEqual(expected, MethodNameFormatter.Format(type, method));
    }
}
