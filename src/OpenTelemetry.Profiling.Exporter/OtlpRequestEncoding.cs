using OpenTelemetry.Profiling.Model;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Serializes a <see cref="ProfileBatch"/> as an <c>ExportProfilesServiceRequest</c> straight from the model,
/// with the same bytes as <see cref="OtlpProfileConverter.ToRequest"/> followed by <c>ToByteArray</c>, but
/// without building a message object per sample, link, location and string. Those objects (about 400 bytes
/// per sample) lived while the request was built and written, long enough on a busy machine to be promoted
/// into the oldest generation, where the app's GC then had to collect them.
/// <para>
/// <see cref="Measure"/> sizes the request (the splitter needs the size before deciding to cut the batch);
/// <see cref="ToArray"/> writes it in one buffer. The resource is <see cref="OtlpResourceEncoding"/>'s; so the
/// export path does not load the protobuf library at all (the generated messages serve tests and the receiver).
/// </para>
/// </summary>
internal sealed class OtlpRequestEncoding
{
    // ExportProfilesServiceRequest
    private const int RequestResourceProfiles = 1;
    private const int RequestDictionary = 2;

    // ResourceProfiles and ScopeProfiles
    private const int ResourceProfilesResource = 1;
    private const int ResourceProfilesScopeProfiles = 2;
    private const int ScopeProfilesScope = 1;
    private const int ScopeProfilesProfiles = 2;
    private const int ScopeName = 1;
    private const int ScopeVersion = 2;

    // Profile
    private const int ProfileSampleType = 1;
    private const int ProfileSamples = 2;
    private const int ProfileTimeUnixNano = 3;
    private const int ProfileDurationNano = 4;
    private const int ProfilePeriodType = 5;
    private const int ProfilePeriod = 6;
    private const int ProfileProfileId = 7;
    private const int ProfileAttributeIndices = 11;
    private const int ValueTypeType = 1;
    private const int ValueTypeUnit = 2;

    // Sample
    private const int SampleStackIndex = 1;
    private const int SampleAttributeIndices = 2;
    private const int SampleLinkIndex = 3;
    private const int SampleValues = 4;

    // ProfilesDictionary and its entries
    private const int DictionaryMappings = 1;
    private const int DictionaryLocations = 2;
    private const int DictionaryFunctions = 3;
    private const int DictionaryLinks = 4;
    private const int DictionaryStrings = 5;
    private const int DictionaryAttributes = 6;
    private const int DictionaryStacks = 7;
    private const int LocationAddress = 2;
    private const int LocationLines = 3;
    private const int LocationAttributeIndices = 4;
    private const int LineFunctionIndex = 1;
    private const int FunctionName = 1;
    private const int FunctionSystemName = 2;
    private const int FunctionFileName = 3;
    private const int FunctionStartLine = 4;
    private const int LinkTraceId = 1;
    private const int LinkSpanId = 2;
    private const int AttributeKey = 1;
    private const int AttributeValue = 2;
    private const int AttributeUnit = 3;
    private const int StackLocationIndices = 1;

    // AnyValue's oneof members
    private const int AnyString = 1;
    private const int AnyBool = 2;
    private const int AnyInt = 3;
    private const int AnyDouble = 4;

    private const int TraceIdLength = 16;
    private const int SpanIdLength = 8;
    private const int ProfileIdLength = 16;

    // A link's payload: trace id and span id, both always written (the zero link too, as 0 bytes).
    private static readonly int LinkSize = ProtoWriter.DelimitedSize(TraceIdLength) + ProtoWriter.DelimitedSize(SpanIdLength);

    private readonly ProfileBatch batch;
    private readonly byte[] resource;
    private readonly int scopeSize;
    private readonly int[] profileSizes;
    private readonly int scopeProfilesSize;
    private readonly int resourceProfilesSize;
    private readonly int dictionarySize;

    private OtlpRequestEncoding(ProfileBatch batch)
    {
        this.batch = batch;
        this.resource = OtlpResourceEncoding.Encode(batch.Resource);
        this.scopeSize = StringFieldSize(OtlpResourceEncoding.ScopeName) + StringFieldSize(OtlpResourceEncoding.ScopeVersion);
        this.profileSizes = new int[batch.Profiles.Count];
        this.scopeProfilesSize = ProtoWriter.DelimitedSize(this.scopeSize);
        for (int i = 0; i < this.profileSizes.Length; i++)
        {
            this.profileSizes[i] = ProfileSize(batch.Profiles[i]);
            this.scopeProfilesSize += ProtoWriter.DelimitedSize(this.profileSizes[i]);
        }

        this.resourceProfilesSize = ProtoWriter.DelimitedSize(this.resource.Length) + ProtoWriter.DelimitedSize(this.scopeProfilesSize);
        this.dictionarySize = DictionarySize(batch.Dictionary);
        this.Size = ProtoWriter.DelimitedSize(this.resourceProfilesSize) + ProtoWriter.DelimitedSize(this.dictionarySize);
    }

    /// <summary>Gets the size of the serialized request, in bytes.</summary>
    public int Size { get; }

    /// <summary>Sizes the request <paramref name="batch"/> becomes; nothing is written yet.</summary>
    public static OtlpRequestEncoding Measure(ProfileBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new OtlpRequestEncoding(batch);
    }

    /// <summary>Writes the request. Each call gives each profile a new random profile id.</summary>
    public byte[] ToArray()
    {
        byte[] result = new byte[this.Size];
        var writer = new ProtoWriter(result);
        writer.StartDelimited(RequestResourceProfiles, this.resourceProfilesSize);
        writer.BytesField(ResourceProfilesResource, this.resource);
        writer.StartDelimited(ResourceProfilesScopeProfiles, this.scopeProfilesSize);
        writer.StartDelimited(ScopeProfilesScope, this.scopeSize);
        WriteNonEmptyString(ref writer, ScopeName, OtlpResourceEncoding.ScopeName);
        WriteNonEmptyString(ref writer, ScopeVersion, OtlpResourceEncoding.ScopeVersion);
        for (int i = 0; i < this.profileSizes.Length; i++)
        {
            writer.StartDelimited(ScopeProfilesProfiles, this.profileSizes[i]);
            WriteProfile(ref writer, this.batch.Profiles[i]);
        }

        writer.StartDelimited(RequestDictionary, this.dictionarySize);
        WriteDictionary(ref writer, this.batch.Dictionary);
        if (writer.Position != result.Length)
        {
            throw new InvalidOperationException($"The request was sized at {result.Length} bytes but {writer.Position} were written.");
        }

        return result;
    }

    private static int StringFieldSize(string value) => value.Length == 0 ? 0 : ProtoWriter.DelimitedSize(ProtoWriter.StringSize(value));

    private static void WriteNonEmptyString(ref ProtoWriter writer, int field, string value)
    {
        if (value.Length != 0)
        {
            writer.StringField(field, value);
        }
    }

    private static int ValueTypeSize(ValueTypeRecord valueType) =>
        ProtoWriter.VarintFieldSize(valueType.TypeStrIndex) + ProtoWriter.VarintFieldSize(valueType.UnitStrIndex);

    private static void WriteValueType(ref ProtoWriter writer, int field, ValueTypeRecord valueType)
    {
        writer.StartDelimited(field, ValueTypeSize(valueType));
        writer.VarintField(ValueTypeType, valueType.TypeStrIndex);
        writer.VarintField(ValueTypeUnit, valueType.UnitStrIndex);
    }

    private static int ProfileSize(Model.Profile profile)
    {
        int size = ProtoWriter.DelimitedSize(ValueTypeSize(profile.SampleType))
            + ProtoWriter.DelimitedSize(ValueTypeSize(profile.PeriodType))
            + (profile.TimeUnixNano == 0 ? 0 : ProtoWriter.Fixed64FieldSize)
            + ProtoWriter.VarintFieldSize((long)profile.DurationNano)
            + ProtoWriter.VarintFieldSize(profile.Period)
            + ProtoWriter.DelimitedSize(ProfileIdLength)
            + ProtoWriter.PackedFieldSize(profile.AttributeIndices);
        foreach (var sample in profile.Samples)
        {
            size += ProtoWriter.DelimitedSize(SampleSize(sample));
        }

        return size;
    }

    private static void WriteProfile(ref ProtoWriter writer, Model.Profile profile)
    {
        WriteValueType(ref writer, ProfileSampleType, profile.SampleType);
        foreach (var sample in profile.Samples)
        {
            writer.StartDelimited(ProfileSamples, SampleSize(sample));
            writer.VarintField(SampleStackIndex, sample.StackIndex);
            writer.PackedField(SampleAttributeIndices, sample.AttributeIndices);
            writer.VarintField(SampleLinkIndex, sample.LinkIndex);
            writer.StartDelimited(SampleValues, ProtoWriter.VarintSize(sample.Value));
            writer.WriteVarint((ulong)sample.Value);
        }

        if (profile.TimeUnixNano != 0)
        {
            writer.Fixed64Field(ProfileTimeUnixNano, profile.TimeUnixNano);
        }

        writer.VarintField(ProfileDurationNano, (long)profile.DurationNano);
        WriteValueType(ref writer, ProfilePeriodType, profile.PeriodType);
        writer.VarintField(ProfilePeriod, profile.Period);

        // A version-4 GUID: 122 random bits from the OS, without loading OpenSSL as RandomNumberGenerator
        // does on Linux (3.8 MB of mapped libraries in the soak's process, for an id that needs no secrecy).
        Span<byte> profileId = stackalloc byte[ProfileIdLength];
        Guid.NewGuid().TryWriteBytes(profileId);
        writer.BytesField(ProfileProfileId, profileId);
        writer.PackedField(ProfileAttributeIndices, profile.AttributeIndices);
    }

    private static int SampleSize(SampleRecord sample) =>
        ProtoWriter.VarintFieldSize(sample.StackIndex)
        + ProtoWriter.PackedFieldSize(sample.AttributeIndices)
        + ProtoWriter.VarintFieldSize(sample.LinkIndex)
        + ProtoWriter.DelimitedSize(ProtoWriter.VarintSize(sample.Value));

    private static int DictionarySize(ProfileDictionary dictionary)
    {
        // The model tracks no mappings: one zero mapping, which managed frames point at.
        int size = ProtoWriter.DelimitedSize(0);
        for (int i = 0; i < dictionary.Locations.Count; i++)
        {
            size += ProtoWriter.DelimitedSize(i == 0 ? 0 : LocationSize(dictionary.Locations[i]));
        }

        for (int i = 0; i < dictionary.Functions.Count; i++)
        {
            size += ProtoWriter.DelimitedSize(i == 0 ? 0 : FunctionSize(dictionary.Functions[i]));
        }

        size += dictionary.Links.Count * ProtoWriter.DelimitedSize(LinkSize);
        foreach (string value in dictionary.Strings)
        {
            size += ProtoWriter.DelimitedSize(ProtoWriter.StringSize(value));
        }

        for (int i = 0; i < dictionary.Attributes.Count; i++)
        {
            size += ProtoWriter.DelimitedSize(i == 0 ? 0 : AttributeSize(dictionary.Attributes[i]));
        }

        for (int i = 0; i < dictionary.Stacks.Count; i++)
        {
            size += ProtoWriter.DelimitedSize(i == 0 ? 0 : ProtoWriter.PackedFieldSize(dictionary.Stacks[i].LocationIndices));
        }

        return size;
    }

    private static void WriteDictionary(ref ProtoWriter writer, ProfileDictionary dictionary)
    {
        writer.StartDelimited(DictionaryMappings, 0);
        for (int i = 0; i < dictionary.Locations.Count; i++)
        {
            if (i == 0)
            {
                writer.StartDelimited(DictionaryLocations, 0);
                continue;
            }

            var location = dictionary.Locations[i];
            writer.StartDelimited(DictionaryLocations, LocationSize(location));
            writer.VarintField(LocationAddress, (long)location.Address);
            writer.StartDelimited(LocationLines, ProtoWriter.VarintFieldSize(location.FunctionIndex));
            writer.VarintField(LineFunctionIndex, location.FunctionIndex);
            writer.PackedField(LocationAttributeIndices, location.AttributeIndices);
        }

        for (int i = 0; i < dictionary.Functions.Count; i++)
        {
            if (i == 0)
            {
                writer.StartDelimited(DictionaryFunctions, 0);
                continue;
            }

            var function = dictionary.Functions[i];
            writer.StartDelimited(DictionaryFunctions, FunctionSize(function));
            writer.VarintField(FunctionName, function.NameStrIndex);
            writer.VarintField(FunctionSystemName, function.SystemNameStrIndex);
            writer.VarintField(FunctionFileName, function.FileNameStrIndex);
            writer.VarintField(FunctionStartLine, function.StartLine);
        }

        Span<byte> traceId = stackalloc byte[TraceIdLength];
        Span<byte> spanId = stackalloc byte[SpanIdLength];
        for (int i = 0; i < dictionary.Links.Count; i++)
        {
            // The zero link (index 0) has all-zero ids.
            traceId.Clear();
            spanId.Clear();
            if (i != 0)
            {
                dictionary.Links[i].WriteTraceId(traceId);
                dictionary.Links[i].WriteSpanId(spanId);
            }

            writer.StartDelimited(DictionaryLinks, LinkSize);
            writer.BytesField(LinkTraceId, traceId);
            writer.BytesField(LinkSpanId, spanId);
        }

        foreach (string value in dictionary.Strings)
        {
            writer.StringField(DictionaryStrings, value);
        }

        for (int i = 0; i < dictionary.Attributes.Count; i++)
        {
            if (i == 0)
            {
                writer.StartDelimited(DictionaryAttributes, 0);
                continue;
            }

            var attribute = dictionary.Attributes[i];
            writer.StartDelimited(DictionaryAttributes, AttributeSize(attribute));
            writer.VarintField(AttributeKey, attribute.KeyStrIndex);
            writer.StartDelimited(AttributeValue, AnyValueSize(attribute.Value));
            WriteAnyValue(ref writer, attribute.Value);
            writer.VarintField(AttributeUnit, attribute.UnitStrIndex);
        }

        for (int i = 0; i < dictionary.Stacks.Count; i++)
        {
            int[] locations = i == 0 ? [] : dictionary.Stacks[i].LocationIndices;
            writer.StartDelimited(DictionaryStacks, ProtoWriter.PackedFieldSize(locations));
            writer.PackedField(StackLocationIndices, locations);
        }
    }

    private static int LocationSize(LocationRecord location) =>
        ProtoWriter.VarintFieldSize((long)location.Address)
        + ProtoWriter.DelimitedSize(ProtoWriter.VarintFieldSize(location.FunctionIndex))
        + ProtoWriter.PackedFieldSize(location.AttributeIndices);

    private static int FunctionSize(FunctionRecord function) =>
        ProtoWriter.VarintFieldSize(function.NameStrIndex)
        + ProtoWriter.VarintFieldSize(function.SystemNameStrIndex)
        + ProtoWriter.VarintFieldSize(function.FileNameStrIndex)
        + ProtoWriter.VarintFieldSize(function.StartLine);

    private static int AttributeSize(AttributeRecord attribute) =>
        ProtoWriter.VarintFieldSize(attribute.KeyStrIndex)
        + ProtoWriter.DelimitedSize(AnyValueSize(attribute.Value))
        + ProtoWriter.VarintFieldSize(attribute.UnitStrIndex);

    // A oneof member is written even when it holds its type's default: its presence is the value's kind.
    private static int AnyValueSize(Model.AttributeValue value) => value.Kind switch
    {
        AttributeValueKind.String => ProtoWriter.DelimitedSize(ProtoWriter.StringSize(value.StringValue ?? string.Empty)),
        AttributeValueKind.Int => 1 + ProtoWriter.VarintSize(value.IntValue),
        AttributeValueKind.Bool => 2,
        _ => ProtoWriter.Fixed64FieldSize,
    };

    private static void WriteAnyValue(ref ProtoWriter writer, Model.AttributeValue value)
    {
        switch (value.Kind)
        {
            case AttributeValueKind.String:
                writer.StringField(AnyString, value.StringValue ?? string.Empty);
                break;
            case AttributeValueKind.Int:
                writer.PresentVarintField(AnyInt, value.IntValue);
                break;
            case AttributeValueKind.Bool:
                writer.PresentVarintField(AnyBool, value.BoolValue ? 1 : 0);
                break;
            default:
                writer.Fixed64Field(AnyDouble, (ulong)BitConverter.DoubleToInt64Bits(value.DoubleValue));
                break;
        }
    }
}
