using OpenTelemetry.Profiling.Receiver;

namespace OpenTelemetry.Profiling.Exporter.Tests;

[TestClass]
public sealed class ProfileSummaryTests
{
    [TestMethod]
    public void Compute_SplitsProfilesByTypeAndSumsSampleValues()
    {
        var summary = ProfileSummary.Compute([TestRequests.Hand()], top: 10, stackFilter: "SyncLimits");

        Assert.HasCount(2, summary.ProfileTypes);
        var cpu = summary.ProfileTypes[0];
        Assert.AreEqual("samples/count", cpu.SampleType);
        Assert.AreEqual("cpu/nanoseconds", cpu.PeriodType);
        Assert.AreEqual(10, cpu.TotalValue);
        Assert.AreEqual(3, cpu.SampleCount);
        Assert.AreEqual("wall/nanoseconds", summary.ProfileTypes[1].PeriodType);
        Assert.AreEqual(2, summary.ProfileTypes[1].TotalValue);
    }

    [TestMethod]
    public void Compute_CountsSelfAtTheLeafAndInclusiveOncePerSample()
    {
        var cpu = ProfileSummary.Compute([TestRequests.Hand()]).ProfileTypes[0];

        var self = cpu.TopSelf.ToDictionary(f => f.Function, f => f.Value);
        var inclusive = cpu.TopInclusive.ToDictionary(f => f.Function, f => f.Share);
        Assert.AreEqual(6, self["C"]);
        Assert.AreEqual(3, self["B"]);
        Assert.AreEqual(1, self["App.SyncLimits.Enter"]);
        Assert.IsFalse(self.ContainsKey("A"));
        Assert.AreEqual("C", cpu.TopSelf[0].Function);
        Assert.AreEqual(0.6, cpu.TopSelf[0].Share, 1e-9);
        Assert.AreEqual(1.0, inclusive["A"], 1e-9);
        Assert.AreEqual(0.9, inclusive["B"], 1e-9);
        Assert.AreEqual(0.6, inclusive["C"], 1e-9);
    }

    [TestMethod]
    public void Compute_ReportsTheShareOfStacksMatchingTheFilter()
    {
        var cpu = ProfileSummary.Compute([TestRequests.Hand()], stackFilter: "SyncLimits").ProfileTypes[0];

        Assert.AreEqual(0.1, cpu.StackFilterShare, 1e-9);
    }

    [TestMethod]
    public void Compute_BreaksSamplesDownBySpan()
    {
        var cpu = ProfileSummary.Compute([TestRequests.Hand(), TestRequests.Hand()]).ProfileTypes[0];

        var link = cpu.TopLinks.Single();
        Assert.AreEqual(TestRequests.TraceIdHex, link.TraceId);
        Assert.AreEqual(TestRequests.SpanIdHex, link.SpanId);
        Assert.AreEqual(12, link.Value);
        Assert.AreEqual(0.6, link.Share, 1e-9);
        Assert.AreEqual("C", link.TopSelf.Single().Function);
        Assert.AreEqual(12, cpu.LinkedValue);
        Assert.AreEqual(20, cpu.TotalValue);
    }

    [TestMethod]
    public void Compute_HonoursTopN()
    {
        var cpu = ProfileSummary.Compute([TestRequests.Hand()], top: 2).ProfileTypes[0];

        Assert.HasCount(2, cpu.TopSelf);
        Assert.HasCount(2, cpu.TopInclusive);
    }

    [TestMethod]
    public void Print_RendersEveryTableAsText()
    {
        var summary = ProfileSummary.Compute([TestRequests.Hand()], stackFilter: "SyncLimits");

        string text = summary.ToString();

        Assert.Contains("samples/count (period cpu/nanoseconds)", text);
        Assert.Contains("stacks containing \"SyncLimits\": 10.0%", text);
        Assert.Contains("60.0%", text);
        Assert.Contains(TestRequests.SpanIdHex, text);
    }
}
