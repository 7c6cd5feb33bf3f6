using System.Diagnostics;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
public sealed class SpanKeyBoxTests
{
    [TestMethod]
    public void For_AChildStartedUnderTheCurrentSpan_HasTheKeyReadFromTheChild()
    {
        using var root = StartW3C("GET /orders");
        var rootBox = SpanKeyBox.For(root, null)!;
        using var child = StartW3C("load order");

        var childBox = SpanKeyBox.For(child, rootBox)!;

        Assert.AreEqual(SpanKey.From(child), childBox.Key);
        Assert.AreEqual(SpanKey.Id(root.SpanId), childBox.Key.RootSpanId);
        Assert.AreSame(rootBox, childBox.Parent);
    }

    [TestMethod]
    public void For_TheParentOfAChildThatEnded_IsTheParentsOwnBox()
    {
        using var root = StartW3C("GET /orders");
        var rootBox = SpanKeyBox.For(root, null)!;
        var child = StartW3C("load order");
        var childBox = SpanKeyBox.For(child, rootBox);
        child.Stop();

        Assert.AreSame(rootBox, SpanKeyBox.For(root, childBox));
        Assert.AreSame(rootBox, SpanKeyBox.For(root, rootBox));
        Assert.IsNull(SpanKeyBox.For(null, rootBox));
    }

    [TestMethod]
    public void For_AnUnrelatedSpan_ReadsItsOwnKeyAndLinksNoParent()
    {
        using var first = StartW3C("first");
        var firstBox = SpanKeyBox.For(first, null)!;
        Activity.Current = null;
        using var other = StartW3C("other");

        var otherBox = SpanKeyBox.For(other, firstBox)!;

        Assert.AreEqual(SpanKey.From(other), otherBox.Key);
        Assert.AreNotEqual(firstBox.Key.TraceIdLow, otherBox.Key.TraceIdLow);
        Assert.IsNull(otherBox.Parent, "unrelated spans set one after the other must not grow a chain");
    }

    [TestMethod]
    public void From_DecodesTheIdsTheActivityExports()
    {
        using var span = StartW3C("decode");
        Span<byte> trace = stackalloc byte[16];
        Span<byte> id = stackalloc byte[8];
        span.TraceId.CopyTo(trace);
        span.SpanId.CopyTo(id);

        var key = SpanKey.From(span);

        Assert.AreEqual(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(trace), key.TraceIdHigh);
        Assert.AreEqual(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(trace[8..]), key.TraceIdLow);
        Assert.AreEqual(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(id), key.SpanId);
        Assert.AreEqual(span.SpanId.ToHexString(), key.SpanId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
    }

    [TestMethod]
    public void ChildOf_TakesTheRootsCurrentName()
    {
        using var root = StartW3C("GET");
        var rootKey = SpanKey.From(root);
        root.DisplayName = "GET /orders/{id}"; // routing names the endpoint after the span started
        using var child = StartW3C("load order");

        var key = SpanKey.ChildOf(rootKey, child);

        Assert.AreEqual(SpanNames.Intern("GET /orders/{id}"), key.RootNameId);
        Assert.AreNotEqual(rootKey.RootNameId, key.RootNameId);
    }

    [TestMethod]
    public void For_TheParentOfAChildThatEnded_CarriesTheRootsNewNameWhenItWasRenamed()
    {
        using var root = StartW3C("GET");
        var rootBox = SpanKeyBox.For(root, null)!;
        var child = StartW3C("authorize");
        var childBox = SpanKeyBox.For(child, rootBox);
        root.DisplayName = "GET /orders/{id}";
        child.Stop();

        var back = SpanKeyBox.For(root, childBox)!;

        Assert.AreEqual(SpanNames.Intern("GET /orders/{id}"), back.Key.RootNameId);
        Assert.AreEqual(rootBox.Key with { RootNameId = back.Key.RootNameId }, back.Key, "only the name changes");
    }

    [TestMethod]
    public void For_AW3CChildOfAHierarchicalParent_ReadsItsOwnTraceId()
    {
        using var parent = new Activity("legacy").SetIdFormat(ActivityIdFormat.Hierarchical).Start();
        var parentBox = SpanKeyBox.For(parent, null)!;
        using var child = StartW3C("modern");

        var childBox = SpanKeyBox.For(child, parentBox)!;

        Assert.AreEqual(SpanKey.From(child), childBox.Key);
        Assert.AreNotEqual(0UL, childBox.Key.TraceIdHigh | childBox.Key.TraceIdLow, "the child's own W3C trace id");
    }

    private static Activity StartW3C(string name) => new Activity(name).SetIdFormat(ActivityIdFormat.W3C).Start();
}
