using System.Diagnostics;
using OpenTelemetry.Profiling.Model;

namespace OpenTelemetry.Profiling.Tests.Model;

[TestClass]
public sealed class ProfileDictionaryBuilderTests
{
    [TestMethod]
    public void Build_WhenEmpty_HoldsTheZeroValueAtIndexZeroOfEveryTable()
    {
        var dictionary = new ProfileDictionaryBuilder().Build();

        Assert.AreEqual(string.Empty, dictionary.Strings[0]);
        Assert.AreEqual(default, dictionary.Functions[0]);
        Assert.AreEqual(0, dictionary.Locations[0].FunctionIndex);
        Assert.AreEqual(0, dictionary.Locations[0].AttributeIndices.Length);
        Assert.AreEqual(0, dictionary.Stacks[0].LocationIndices.Length);
        Assert.AreEqual(0, dictionary.Attributes[0].KeyStrIndex);
        Assert.IsTrue(dictionary.Links[0].IsEmpty);
        Assert.AreEqual(1, dictionary.Strings.Count);
        Assert.AreEqual(1, dictionary.Links.Count);
    }

    [TestMethod]
    public void Intern_WhenTheSameValueIsAddedTwice_ReturnsTheSameIndexAndStoresItOnce()
    {
        var builder = new ProfileDictionaryBuilder();

        int f1 = builder.Function("App.Hot.Spin", null, "App.dll");
        int f2 = builder.Function("App.Hot.Spin", null, "App.dll");
        int f3 = builder.Function("App.Hot.Other", null, "App.dll");
        int l1 = builder.Location(f1);
        int l2 = builder.Location(f2);
        int l3 = builder.Location(f3);
        int s1 = builder.Stack([l1, l3]);
        int s2 = builder.Stack(new[] { l1, l3 }.AsSpan());
        int s3 = builder.Stack([l3, l1]);
        int a1 = builder.Attribute("thread.id", AttributeValue.Of(42L));
        int a2 = builder.Attribute("thread.id", AttributeValue.Of(42L));
        int a3 = builder.Attribute("thread.id", AttributeValue.Of("42"));
        var link = LinkRecord.FromIds(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());
        int k1 = builder.Link(link);
        int k2 = builder.Link(link);
        var dictionary = builder.Build();

        Assert.AreEqual(f1, f2);
        Assert.AreNotEqual(f1, f3);
        Assert.AreEqual(l1, l2);
        Assert.AreEqual(s1, s2);
        Assert.AreNotEqual(s1, s3, "order matters: stacks are leaf first");
        Assert.AreEqual(a1, a2);
        Assert.AreNotEqual(a1, a3, "an int and a string attribute differ");
        Assert.AreEqual(k1, k2);
        Assert.AreEqual(3, dictionary.Functions.Count);
        Assert.AreEqual(3, dictionary.Stacks.Count);
        Assert.AreEqual(2, dictionary.Links.Count);
        Assert.AreEqual(dictionary.Strings.Count, dictionary.Strings.Distinct().Count(), "no duplicate strings");
        Assert.IsTrue(f1 > 0 && l1 > 0 && s1 > 0 && a1 > 0 && k1 > 0, "real entries never take index 0");
    }

    [TestMethod]
    public void Stack_WhenALocationIndexIsOutOfBounds_Throws()
    {
        var builder = new ProfileDictionaryBuilder();

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => builder.Stack([5]));
    }

    [TestMethod]
    public void String_WhenNullOrEmpty_IsTheZeroString()
    {
        var builder = new ProfileDictionaryBuilder();

        Assert.AreEqual(0, builder.String(null));
        Assert.AreEqual(0, builder.String(string.Empty));
    }

    [TestMethod]
    public void Link_FromActivityIds_WritesBytesIdenticalToTheHexIds()
    {
        var traceId = ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c");
        var spanId = ActivitySpanId.CreateFromString("b7ad6b7169203331");

        var link = LinkRecord.FromIds(traceId, spanId);
        byte[] trace = new byte[16];
        byte[] span = new byte[8];
        link.WriteTraceId(trace);
        link.WriteSpanId(span);

        Assert.AreEqual("0af7651916cd43dd8448eb211c80319c", Convert.ToHexStringLower(trace));
        Assert.AreEqual("b7ad6b7169203331", Convert.ToHexStringLower(span));
        Assert.AreEqual(traceId.ToHexString(), link.TraceIdHex);
        Assert.AreEqual(spanId.ToHexString(), link.SpanIdHex);
    }
}
