using Google.Protobuf;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Proto.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter.Tests;

[TestClass]
public sealed class ProfileRequestValidatorTests
{
    [TestMethod]
    public void Validate_WithAWellFormedRequest_FindsNothing()
    {
        Assert.IsEmpty(ProfileRequestValidator.Validate(TestRequests.Hand()));
    }

    [TestMethod]
    public void Validate_WhenIndexZeroIsNotTheZeroValue_ReportsTheTable()
    {
        var request = TestRequests.Hand();
        request.Dictionary.StringTable[0] = "oops";
        request.Dictionary.FunctionTable[0] = new Function { NameStrindex = 5 };
        request.Dictionary.LinkTable[0] = new Link { TraceId = ByteString.Empty, SpanId = ByteString.Empty };
        request.Dictionary.MappingTable.Clear();

        var violations = ProfileRequestValidator.Validate(request);

        Assert.Contains("string_table[0] is not the zero value", violations);
        Assert.Contains("function_table[0] is not the zero value", violations);
        Assert.Contains("link_table[0] is not the zero value", violations);
        Assert.IsTrue(violations.Any(v => v.StartsWith("mapping_table is empty", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Validate_WhenAnIndexIsOutOfBounds_ReportsWhere()
    {
        var request = TestRequests.Hand();
        request.Dictionary.StackTable[1].LocationIndices[0] = 99;
        request.Dictionary.FunctionTable[1].NameStrindex = -1;
        request.ResourceProfiles[0].ScopeProfiles[0].Profiles[0].Samples[0].LinkIndex = 7;

        var violations = ProfileRequestValidator.Validate(request);

        Assert.Contains("stack_table[1].location_indices[0] = 99 is out of bounds (table size 5)", violations);
        Assert.Contains("function_table[1].name_strindex = -1 is out of bounds (table size 11)", violations);
        Assert.IsTrue(violations.Any(v => v.Contains("samples[0].link_index = 7", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Validate_WhenAttributeKeysRepeatOrValuesAreMissing_ReportsBoth()
    {
        var request = TestRequests.Hand();
        var sample = request.ResourceProfiles[0].ScopeProfiles[0].Profiles[0].Samples[0];
        sample.AttributeIndices.Add(2);
        request.ResourceProfiles[0].ScopeProfiles[0].Profiles[0].Samples[1].Values.Clear();

        var violations = ProfileRequestValidator.Validate(request);

        Assert.IsTrue(violations.Any(v => v.Contains("samples[0].attribute_indices repeats the attribute key", StringComparison.Ordinal)));
        Assert.IsTrue(violations.Any(v => v.EndsWith("samples[1] has neither values nor timestamps", StringComparison.Ordinal)));
    }
}
