using Google.Protobuf;
using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Exporter.Tests;

[TestClass]
public sealed class OtlpRequestEncodingTests
{
    [TestMethod]
    public void ToArray_WritesTheBytesTheGeneratedMessagesWrite_ForASmallBatch() => AssertSameBytesAsGenerated(TestBatches.CpuBatch());

    [TestMethod]
    public void ToArray_WritesTheBytesTheGeneratedMessagesWrite_ForALargeBatchOfTwoProfiles() => AssertSameBytesAsGenerated(TestBatches.Large(3_000));

    [TestMethod]
    public void ToArray_WritesTheBytesTheGeneratedMessagesWrite_ForEdgeValues()
    {
        // Negative and large values (10-byte varints), every attribute kind with default and non-default
        // values, non-ASCII and empty strings, a profile without samples and one with attributes, a zero time.
        var builder = new ProfileDictionaryBuilder();
        int[] attributes =
        [
            builder.Attribute("s", AttributeValue.Of(string.Empty)),
            builder.Attribute("s2", AttributeValue.Of("grüße, 世界, \ud83d\ude00")),
            builder.Attribute("i0", AttributeValue.Of(0L)),
            builder.Attribute("i", AttributeValue.Of(long.MinValue)),
            builder.Attribute("b0", AttributeValue.Of(false)),
            builder.Attribute("b", AttributeValue.Of(true)),
            builder.Attribute("d0", AttributeValue.Of(0.0)),
            builder.Attribute("d", AttributeValue.Of(-1.5e300), "ms"),
        ];
        int function = builder.Function("Ns.Type.Méthode", "sys", null, startLine: 1L << 40);
        int location = builder.Location(function, ulong.MaxValue, attributes[..3]);
        int noFunction = builder.Location(0);
        int stack = builder.Stack([location, noFunction]);
        int link = builder.Link(LinkRecord.FromIds(TestBatches.TraceId, TestBatches.SpanId));
        var withSamples = new Model.Profile(
            builder.ValueType("alloc", "bytes"),
            builder.ValueType("space", "bytes"),
            -1,
            0,
            ulong.MaxValue,
            [new SampleRecord(stack, attributes, link, long.MinValue), new SampleRecord(0, [], 0, 0), new SampleRecord(stack, [], 0, long.MaxValue)],
            attributes[3..]);
        var empty = new Model.Profile(new ValueTypeRecord(0, 0), new ValueTypeRecord(0, 0), 0, 1, 0, [], []);
        var resource = ResourceBuilder.CreateEmpty()
            .AddAttributes([new("service.name", "edge"), new("list", new[] { "a", "b" }), new("longs", new long[] { -1, 2 }), new("flag", false)])
            .Build();

        AssertSameBytesAsGenerated(new ProfileBatch(builder.Build(), [withSamples, empty], resource));
    }

    [TestMethod]
    public void ToArray_WithoutAServiceName_AddsTheSpecsFallbackAsTheGeneratedMessagesDo() =>
        AssertSameBytesAsGenerated(TestBatches.CpuBatch(ResourceBuilder.CreateEmpty().Build()));

    [TestMethod]
    public void ToArray_GivesEachProfileANewVersion4Id()
    {
        var encoding = OtlpRequestEncoding.Measure(TestBatches.Large(10));

        var first = ExportProfilesServiceRequest.Parser.ParseFrom(encoding.ToArray()).ResourceProfiles[0].ScopeProfiles[0].Profiles;
        var second = ExportProfilesServiceRequest.Parser.ParseFrom(encoding.ToArray()).ResourceProfiles[0].ScopeProfiles[0].Profiles;

        var ids = first.Concat(second).Select(profile => profile.ProfileId).ToList();
        Assert.HasCount(4, ids.Distinct());
        Assert.IsTrue(ids.All(id => id.Length == 16 && (id[7] >> 4) == 4), "RFC 4122 version 4 (Guid's byte order)");
    }

    [TestMethod]
    public void Encoding_AllocatesLittleBeyondTheRequestItself()
    {
        // The generated messages cost about 400 bytes per sample; writing from the model costs the buffer.
        var batch = TestBatches.Large(20_000);
        _ = OtlpRequestEncoding.Measure(batch).ToArray();

        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[] bytes = OtlpRequestEncoding.Measure(batch).ToArray();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.IsLessThan(bytes.Length + (64 * 1024), allocated, $"{allocated} bytes allocated for a request of {bytes.Length} bytes");
    }

    private static void AssertSameBytesAsGenerated(ProfileBatch batch)
    {
        var encoding = OtlpRequestEncoding.Measure(batch);
        byte[] written = encoding.ToArray();
        Assert.HasCount(encoding.Size, written);

        // Profile ids are random: give the generated request the ids that were written, then compare all bytes.
        var parsed = ExportProfilesServiceRequest.Parser.ParseFrom(written);
        var expected = OtlpProfileConverter.ToRequest(batch);
        var writtenProfiles = parsed.ResourceProfiles[0].ScopeProfiles[0].Profiles;
        var expectedProfiles = expected.ResourceProfiles[0].ScopeProfiles[0].Profiles;
        Assert.HasCount(expectedProfiles.Count, writtenProfiles);
        for (int i = 0; i < expectedProfiles.Count; i++)
        {
            expectedProfiles[i].ProfileId = writtenProfiles[i].ProfileId;
        }

        Assert.AreEqual(expected, parsed);
        CollectionAssert.AreEqual(expected.ToByteArray(), written);
    }
}
