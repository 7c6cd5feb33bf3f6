using Google.Protobuf;
using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Profiles.V1Development;
using ModelProfile = OpenTelemetry.Profiling.Model.Profile;
using OtlpProfile = OpenTelemetry.Proto.Profiles.V1Development.Profile;
using OtlpValueType = OpenTelemetry.Proto.Profiles.V1Development.ValueType;
using OtlpResource = OpenTelemetry.Proto.Resource.V1.Resource;
using SdkResource = OpenTelemetry.Resources.Resource;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Turns a <see cref="ProfileBatch"/> into an <see cref="ExportProfilesServiceRequest"/>. The model's tables
/// map 1:1 onto the dictionary tables, so every index in the model is valid on the wire unchanged.
/// The exporter does not build these messages: <see cref="OtlpRequestEncoding"/> writes the same bytes straight
/// from the model. This form serves the transport's message overload, tests (as the reference those bytes are
/// checked against), the resource's included (<see cref="OtlpResourceEncoding"/> writes it for the exporter).
/// </summary>
internal static class OtlpProfileConverter
{
    private static readonly ByteString ZeroTraceId = ByteString.CopyFrom(new byte[16]);
    private static readonly ByteString ZeroSpanId = ByteString.CopyFrom(new byte[8]);

    public static ExportProfilesServiceRequest ToRequest(ProfileBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var scopeProfiles = new ScopeProfiles
        {
            Scope = new InstrumentationScope { Name = OtlpResourceEncoding.ScopeName, Version = OtlpResourceEncoding.ScopeVersion },
        };
        foreach (var profile in batch.Profiles)
        {
            scopeProfiles.Profiles.Add(ToProfile(profile));
        }

        var resourceProfiles = new ResourceProfiles { Resource = ToResource(batch.Resource) };
        resourceProfiles.ScopeProfiles.Add(scopeProfiles);

        var request = new ExportProfilesServiceRequest { Dictionary = ToDictionary(batch.Dictionary) };
        request.ResourceProfiles.Add(resourceProfiles);
        return request;
    }

    internal static ProfilesDictionary ToDictionary(ProfileDictionary dictionary)
    {
        // The model does not track mappings: managed frames use mapping 0, the zero mapping.
        var result = new ProfilesDictionary();
        result.MappingTable.Add(new Mapping());
        result.StringTable.AddRange(dictionary.Strings);

        for (int i = 0; i < dictionary.Functions.Count; i++)
        {
            var function = dictionary.Functions[i];
            result.FunctionTable.Add(i == 0 ? new Function() : new Function
            {
                NameStrindex = function.NameStrIndex,
                SystemNameStrindex = function.SystemNameStrIndex,
                FilenameStrindex = function.FileNameStrIndex,
                StartLine = function.StartLine,
            });
        }

        for (int i = 0; i < dictionary.Locations.Count; i++)
        {
            var record = dictionary.Locations[i];
            var location = new Location();
            if (i != 0)
            {
                location.Address = record.Address;
                location.Lines.Add(new Line { FunctionIndex = record.FunctionIndex });
                location.AttributeIndices.AddRange(record.AttributeIndices);
            }

            result.LocationTable.Add(location);
        }

        for (int i = 0; i < dictionary.Stacks.Count; i++)
        {
            var stack = new Stack();
            if (i != 0)
            {
                stack.LocationIndices.AddRange(dictionary.Stacks[i].LocationIndices);
            }

            result.StackTable.Add(stack);
        }

        for (int i = 0; i < dictionary.Attributes.Count; i++)
        {
            var attribute = dictionary.Attributes[i];
            result.AttributeTable.Add(i == 0 ? new KeyValueAndUnit() : new KeyValueAndUnit
            {
                KeyStrindex = attribute.KeyStrIndex,
                Value = ToAnyValue(attribute.Value),
                UnitStrindex = attribute.UnitStrIndex,
            });
        }

        Span<byte> traceId = stackalloc byte[16];
        Span<byte> spanId = stackalloc byte[8];
        for (int i = 0; i < dictionary.Links.Count; i++)
        {
            if (i == 0)
            {
                result.LinkTable.Add(new Link { TraceId = ZeroTraceId, SpanId = ZeroSpanId });
                continue;
            }

            var link = dictionary.Links[i];
            link.WriteTraceId(traceId);
            link.WriteSpanId(spanId);
            result.LinkTable.Add(new Link { TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(spanId) });
        }

        return result;
    }

    internal static OtlpResource ToResource(SdkResource resource)
    {
        var result = new OtlpResource();
        bool hasServiceName = false;
        foreach (var attribute in resource.Attributes)
        {
            if (ToAnyValue(attribute.Value) is not { } value)
            {
                continue;
            }

            hasServiceName |= attribute.Key == OtlpResourceEncoding.ServiceNameKey;
            result.Attributes.Add(new KeyValue { Key = attribute.Key, Value = value });
        }

        if (!hasServiceName)
        {
            // Backends group by service.name; the spec's fallback when none was configured.
            result.Attributes.Add(new KeyValue
            {
                Key = OtlpResourceEncoding.ServiceNameKey,
                Value = new AnyValue { StringValue = OtlpResourceEncoding.UnknownServiceName },
            });
        }

        return result;
    }

    internal static AnyValue? ToAnyValue(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case string s:
                return new AnyValue { StringValue = s };
            case bool b:
                return new AnyValue { BoolValue = b };
            case double d:
                return new AnyValue { DoubleValue = d };
            case float f:
                return new AnyValue { DoubleValue = f };
            case long or int or short or sbyte or uint or ushort or byte:
                return new AnyValue { IntValue = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) };
            case Array array:
                var values = new ArrayValue();
                foreach (object? item in array)
                {
                    if (ToAnyValue(item) is { } itemValue)
                    {
                        values.Values.Add(itemValue);
                    }
                }

                return new AnyValue { ArrayValue = values };
            default:
                return new AnyValue { StringValue = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty };
        }
    }

    private static AnyValue ToAnyValue(AttributeValue value) => value.Kind switch
    {
        AttributeValueKind.String => new AnyValue { StringValue = value.StringValue ?? string.Empty },
        AttributeValueKind.Int => new AnyValue { IntValue = value.IntValue },
        AttributeValueKind.Bool => new AnyValue { BoolValue = value.BoolValue },
        _ => new AnyValue { DoubleValue = value.DoubleValue },
    };

    private static OtlpProfile ToProfile(ModelProfile profile)
    {
        // A version-4 GUID: 122 random bits from the OS, without loading OpenSSL as RandomNumberGenerator
        // does on Linux (3.8 MB of mapped libraries in the soak's process, for an id that needs no secrecy).
        byte[] profileId = Guid.NewGuid().ToByteArray();
        var result = new OtlpProfile
        {
            SampleType = new OtlpValueType { TypeStrindex = profile.SampleType.TypeStrIndex, UnitStrindex = profile.SampleType.UnitStrIndex },
            PeriodType = new OtlpValueType { TypeStrindex = profile.PeriodType.TypeStrIndex, UnitStrindex = profile.PeriodType.UnitStrIndex },
            Period = profile.Period,
            TimeUnixNano = profile.TimeUnixNano,
            DurationNano = profile.DurationNano,
            ProfileId = ByteString.CopyFrom(profileId),
        };
        result.AttributeIndices.AddRange(profile.AttributeIndices);
        foreach (var sample in profile.Samples)
        {
            var otlpSample = new Sample { StackIndex = sample.StackIndex, LinkIndex = sample.LinkIndex };
            otlpSample.AttributeIndices.AddRange(sample.AttributeIndices);
            otlpSample.Values.Add(sample.Value);
            result.Samples.Add(otlpSample);
        }

        return result;
    }
}
