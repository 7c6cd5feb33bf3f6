using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>Hand-made wire requests, independent of the converter.</summary>
internal static class TestRequests
{
    public const string TraceIdHex = "4bf92f3577b34da6a3ce929d0e0e4736";
    public const string SpanIdHex = "00f067aa0ba902b7";

    /// <summary>
    /// CPU profile over functions A (root), B, C, SyncLimits.Enter:
    /// A-B-C x6 (linked to the span), A-B x3, A-SyncLimits.Enter x1, and one wall-clock profile with A x2.
    /// </summary>
    public static ExportProfilesServiceRequest Hand()
    {
        var d = new ProfilesDictionary();
        d.StringTable.Add(["", "samples", "count", "cpu", "nanoseconds", "A", "B", "C", "App.SyncLimits.Enter", "wall", "thread.id"]);
        d.MappingTable.Add(new Mapping());
        d.FunctionTable.Add(new Function());
        for (int name = 5; name <= 8; name++)
        {
            d.FunctionTable.Add(new Function { NameStrindex = name });
        }

        d.LocationTable.Add(new Location());
        for (int function = 1; function <= 4; function++)
        {
            var location = new Location();
            location.Lines.Add(new Line { FunctionIndex = function });
            d.LocationTable.Add(location);
        }

        // Locations: 1=A 2=B 3=C 4=SyncLimits. Stacks leaf first.
        d.StackTable.Add(new Stack());
        d.StackTable.Add(Stack(3, 2, 1));
        d.StackTable.Add(Stack(2, 1));
        d.StackTable.Add(Stack(4, 1));
        d.StackTable.Add(Stack(1));
        d.AttributeTable.Add(new KeyValueAndUnit());
        d.AttributeTable.Add(new KeyValueAndUnit { KeyStrindex = 10, Value = new AnyValue { IntValue = 1 } });
        d.AttributeTable.Add(new KeyValueAndUnit { KeyStrindex = 10, Value = new AnyValue { IntValue = 2 } });
        d.LinkTable.Add(new Link { TraceId = ByteString.CopyFrom(new byte[16]), SpanId = ByteString.CopyFrom(new byte[8]) });
        d.LinkTable.Add(new Link { TraceId = ByteString.CopyFrom(Convert.FromHexString(TraceIdHex)), SpanId = ByteString.CopyFrom(Convert.FromHexString(SpanIdHex)) });

        var cpu = new Profile
        {
            SampleType = new Proto.Profiles.V1Development.ValueType { TypeStrindex = 1, UnitStrindex = 2 },
            PeriodType = new Proto.Profiles.V1Development.ValueType { TypeStrindex = 3, UnitStrindex = 4 },
            Period = 10_000_000,
        };
        cpu.Samples.Add(Sample(1, 6, link: 1, attribute: 1));
        cpu.Samples.Add(Sample(2, 3));
        cpu.Samples.Add(Sample(3, 1));
        var wall = new Profile
        {
            SampleType = new Proto.Profiles.V1Development.ValueType { TypeStrindex = 1, UnitStrindex = 2 },
            PeriodType = new Proto.Profiles.V1Development.ValueType { TypeStrindex = 9, UnitStrindex = 4 },
        };
        wall.Samples.Add(Sample(4, 2));

        var scope = new ScopeProfiles();
        scope.Profiles.Add([cpu, wall]);
        var resource = new ResourceProfiles();
        resource.ScopeProfiles.Add(scope);
        var request = new ExportProfilesServiceRequest { Dictionary = d };
        request.ResourceProfiles.Add(resource);
        return request;
    }

    private static Stack Stack(params int[] locations)
    {
        var stack = new Stack();
        stack.LocationIndices.Add(locations);
        return stack;
    }

    private static Sample Sample(int stack, long value, int link = 0, int attribute = 0)
    {
        var sample = new Sample { StackIndex = stack, LinkIndex = link };
        sample.Values.Add(value);
        if (attribute != 0)
        {
            sample.AttributeIndices.Add(attribute);
        }

        return sample;
    }
}
