using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Profiles.V1Development;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Exporter.Tests;

[TestClass]
public sealed class OtlpProfileConverterTests
{
    [TestMethod]
    public void ToRequest_WhenSerializedAndParsed_KeepsEveryDictionaryTableOneToOne()
    {
        var batch = TestBatches.CpuBatch();

        var parsed = ExportProfilesServiceRequest.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(OtlpProfileConverter.ToRequest(batch)));

        var model = batch.Dictionary;
        var wire = parsed.Dictionary;
        CollectionAssert.AreEqual(model.Strings.ToList(), wire.StringTable.ToList());
        Assert.HasCount(model.Functions.Count, wire.FunctionTable);
        Assert.HasCount(model.Locations.Count, wire.LocationTable);
        Assert.HasCount(model.Stacks.Count, wire.StackTable);
        Assert.HasCount(model.Attributes.Count, wire.AttributeTable);
        Assert.HasCount(model.Links.Count, wire.LinkTable);
        Assert.HasCount(1, wire.MappingTable);
        for (int i = 1; i < model.Functions.Count; i++)
        {
            Assert.AreEqual(model.Functions[i].NameStrIndex, wire.FunctionTable[i].NameStrindex);
            Assert.AreEqual(model.Functions[i].FileNameStrIndex, wire.FunctionTable[i].FilenameStrindex);
        }

        for (int i = 1; i < model.Locations.Count; i++)
        {
            Assert.AreEqual(model.Locations[i].FunctionIndex, wire.LocationTable[i].Lines.Single().FunctionIndex);
            Assert.AreEqual(model.Locations[i].Address, wire.LocationTable[i].Address);
            CollectionAssert.AreEqual(model.Locations[i].AttributeIndices, wire.LocationTable[i].AttributeIndices.ToArray());
            Assert.AreEqual(0, wire.LocationTable[i].MappingIndex);
        }

        for (int i = 1; i < model.Stacks.Count; i++)
        {
            CollectionAssert.AreEqual(model.Stacks[i].LocationIndices, wire.StackTable[i].LocationIndices.ToArray());
        }

        var threadId = wire.AttributeTable.Single(a => wire.StringTable[a.KeyStrindex] == "thread.id");
        Assert.AreEqual(42L, threadId.Value.IntValue);
    }

    [TestMethod]
    public void ToRequest_WritesTheZeroValueAtIndexZeroOfEveryTable()
    {
        var dictionary = OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()).Dictionary;

        Assert.AreEqual(string.Empty, dictionary.StringTable[0]);
        Assert.AreEqual(new Mapping(), dictionary.MappingTable[0]);
        Assert.AreEqual(new Location(), dictionary.LocationTable[0]);
        Assert.AreEqual(new Function(), dictionary.FunctionTable[0]);
        Assert.AreEqual(new Stack(), dictionary.StackTable[0]);
        Assert.AreEqual(new KeyValueAndUnit(), dictionary.AttributeTable[0]);
        CollectionAssert.AreEqual(new byte[16], dictionary.LinkTable[0].TraceId.ToByteArray());
        CollectionAssert.AreEqual(new byte[8], dictionary.LinkTable[0].SpanId.ToByteArray());
    }

    [TestMethod]
    public void ToRequest_WritesLinkBytesEqualToTheSpanHexIds()
    {
        var link = OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()).Dictionary.LinkTable[1];

        Assert.AreEqual(TestBatches.TraceId.ToHexString(), Convert.ToHexStringLower(link.TraceId.Span));
        Assert.AreEqual(TestBatches.SpanId.ToHexString(), Convert.ToHexStringLower(link.SpanId.Span));
    }

    [TestMethod]
    public void ToRequest_CopiesProfilesAndSamples()
    {
        var batch = TestBatches.CpuBatch();
        var request = OtlpProfileConverter.ToRequest(batch);

        var scope = request.ResourceProfiles.Single().ScopeProfiles.Single();
        Assert.AreEqual("OpenTelemetry.Profiling", scope.Scope.Name);
        Assert.IsFalse(string.IsNullOrEmpty(scope.Scope.Version));
        var profile = scope.Profiles.Single();
        var strings = request.Dictionary.StringTable;
        Assert.AreEqual("samples", strings[profile.SampleType.TypeStrindex]);
        Assert.AreEqual("nanoseconds", strings[profile.PeriodType.UnitStrindex]);
        Assert.AreEqual(10_000_000, profile.Period);
        Assert.AreEqual(1_700_000_000_000_000_000UL, profile.TimeUnixNano);
        Assert.AreEqual(1_000_000_000UL, profile.DurationNano);
        Assert.AreEqual(16, profile.ProfileId.Length);
        Assert.HasCount(2, profile.Samples);
        var first = profile.Samples[0];
        var model = batch.Profiles[0].Samples[0];
        Assert.AreEqual(model.StackIndex, first.StackIndex);
        Assert.AreEqual(model.LinkIndex, first.LinkIndex);
        CollectionAssert.AreEqual(model.AttributeIndices, first.AttributeIndices.ToArray());
        CollectionAssert.AreEqual(new[] { 5L }, first.Values.ToArray());
    }

    [TestMethod]
    public void ToRequest_GivesEveryProfileItsOwnNonZeroId()
    {
        var ids = Enumerable.Range(0, 100)
            .SelectMany(_ => OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()).ResourceProfiles[0].ScopeProfiles[0].Profiles)
            .Select(p => Convert.ToHexString(p.ProfileId.Span))
            .ToList();

        Assert.IsTrue(ids.All(id => id.Length == 32 && id != new string('0', 32)));
        Assert.AreEqual(ids.Count, ids.Distinct().Count());
    }

    [TestMethod]
    public void ToRequest_WritesResourceAttributesWithPlainKeysAndTypedValues()
    {
        var attributes = OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()).ResourceProfiles[0].Resource.Attributes.ToDictionary(a => a.Key, a => a.Value);

        Assert.AreEqual("checkout", attributes["service.name"].StringValue);
        Assert.AreEqual(1234L, attributes["process.pid"].IntValue);
        Assert.IsTrue(attributes["host.arch.is64"].BoolValue);
        Assert.AreEqual(0.5, attributes["ratio"].DoubleValue);
        Assert.IsTrue(attributes.Values.All(v => v.ValueCase != AnyValue.ValueOneofCase.StringValueStrindex));
    }

    [TestMethod]
    public void ToRequest_WhenResourceHasNoServiceName_AddsUnknownService()
    {
        var request = OtlpProfileConverter.ToRequest(TestBatches.CpuBatch(ResourceBuilder.CreateEmpty().Build()));

        string serviceName = request.ResourceProfiles[0].Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue;
        Assert.StartsWith("unknown_service", serviceName);
    }

    [TestMethod]
    public void ToRequest_ProducesARequestTheValidatorAccepts()
    {
        var violations = ProfileRequestValidator.Validate(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()));

        Assert.IsEmpty(violations, string.Join(Environment.NewLine, violations));
    }
}
