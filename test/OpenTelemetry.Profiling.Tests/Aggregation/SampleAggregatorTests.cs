using System.Diagnostics;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Aggregation;

[TestClass]
public sealed class SampleAggregatorTests
{
    [TestMethod]
    public void Add_WhenSamplesAreIdentical_MergesThemIntoOneValue()
    {
        var aggregator = new SampleAggregator(100);

        aggregator.Add(7, [1, 2], default, 1);
        aggregator.Add(7, [1, 2], default, 1);
        aggregator.Add(8, [1, 2], default, 1);

        Assert.AreEqual(2, aggregator.Values.Count);
        Assert.AreEqual(3, aggregator.SampleCount);
        Assert.AreEqual(2, aggregator.Values.Single(p => p.Key.ThreadId == 7).Value);
    }

    [TestMethod]
    public void Add_WithASpan_LinksTheInnermostSpanAndNamesTheLocalRoot()
    {
        var aggregator = new SampleAggregator(100);
        using var root = new Activity("server").Start();
        root.DisplayName = "GET /api/check";
        using var child = new Activity("child").Start();

        aggregator.Add(7, [1], SpanKey.From(child), 1);

        var key = aggregator.Values.Keys.Single();
        var link = aggregator.Links[key.LinkId];
        Assert.AreEqual(child.TraceId.ToHexString(), link.TraceIdHex);
        Assert.AreEqual(child.SpanId.ToHexString(), link.SpanIdHex);
        Assert.AreEqual("GET /api/check", aggregator.Endpoints[key.EndpointId]);
    }

    [TestMethod]
    public void Add_WhenTheStackTableIsFull_CountsTheSampleAsDropped()
    {
        var aggregator = new SampleAggregator(1);
        aggregator.Add(1, [1], default, 1);

        bool added = aggregator.Add(1, [2], default, 1);

        Assert.IsFalse(added);
        Assert.AreEqual(1, aggregator.DroppedSamples);
        Assert.AreEqual(1, aggregator.SampleCount);
    }

    [TestMethod]
    public void Clear_ResetsTablesButKeepsTheZeroEntries()
    {
        var aggregator = new SampleAggregator(10);
        using var span = new Activity("x").Start();
        aggregator.Add(1, [1], SpanKey.From(span), 1);

        aggregator.Clear();

        Assert.AreEqual(0, aggregator.Values.Count);
        Assert.AreEqual(1, aggregator.Links.Count);
        Assert.IsTrue(aggregator.Links[0].IsEmpty);
        Assert.AreEqual(string.Empty, aggregator.Endpoints[0]);
    }
}
