using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Describes one event type of the stream. Created once per metadata id (the only place the reader allocates
/// strings), so events can reference it for free.
/// </summary>
internal sealed class EventMetadata
{
    private const int TypeCodeObject = 1;
    private const int TypeCodeArray = 19;
    private const int TagOpcode = 1;
    private const int TagV2Params = 2;
    private const int MaxNestingDepth = 16;

    public EventMetadata(int metadataId, string providerName, int eventId, string eventName, long keywords, int version, int level, int opcode, IReadOnlyList<EventFieldInfo> fields)
    {
        MetadataId = metadataId;
        ProviderName = providerName;
        EventId = eventId;
        EventName = eventName;
        Keywords = keywords;
        Version = version;
        Level = level;
        Opcode = opcode;
        Fields = fields;
        Kind = RuntimeEvents.Classify(providerName, eventId);
    }

    public int MetadataId { get; }

    public string ProviderName { get; }

    public int EventId { get; }

    /// <summary>Event name; the runtime sends an empty name for some native events (notably rundown).</summary>
    public string EventName { get; }

    public long Keywords { get; }

    /// <summary>Payload version: decoders use it to know which trailing fields are present.</summary>
    public int Version { get; }

    public int Level { get; }

    /// <summary>Opcode from the V5 metadata tag, 0 when the writer did not send one.</summary>
    public int Opcode { get; }

    public IReadOnlyList<EventFieldInfo> Fields { get; }

    public KnownEventKind Kind { get; }

    public override string ToString() => $"{ProviderName}/{EventId} {EventName} v{Version}";

    /// <summary>Parses the payload of a metadata blob (the fixed metadata encoding of MetadataBlock events).</summary>
    /// <exception cref="NetTraceFormatException">The payload does not follow the metadata encoding.</exception>
    public static EventMetadata Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new MetadataCursor(payload);
        int metadataId = reader.ReadInt32();
        string provider = reader.ReadUtf16String();
        int eventId = reader.ReadInt32();
        string eventName = reader.ReadUtf16String();
        long keywords = reader.ReadInt64();
        int version = reader.ReadInt32();
        int level = reader.ReadInt32();

        var fields = new List<EventFieldInfo>();
        int opcode = 0;
        if (reader.Remaining >= 4)
        {
            ReadFieldsV1(ref reader, fields, 0);
        }

        // NetTrace V5: optional tags follow the V1 field list.
        while (reader.Remaining >= 5)
        {
            int tagSize = reader.ReadInt32();
            int tagKind = reader.ReadByte();
            if (tagSize < 0 || tagSize > reader.Remaining)
            {
                throw new NetTraceFormatException($"Metadata {metadataId} ({provider}/{eventId}): tag size {tagSize} exceeds the payload.");
            }

            var tag = new MetadataCursor(reader.Take(tagSize));
            if (tagKind == TagOpcode && tag.Remaining >= 1)
            {
                opcode = tag.ReadByte();
            }
            else if (tagKind == TagV2Params)
            {
                fields.Clear();
                ReadFieldsV2(ref tag, fields);
            }
        }

        return new EventMetadata(metadataId, provider, eventId, eventName, keywords, version, level, opcode, fields.ToArray());
    }

    private static void ReadFieldsV1(ref MetadataCursor reader, List<EventFieldInfo>? fields, int depth)
    {
        if (depth > MaxNestingDepth)
        {
            throw new NetTraceFormatException("Metadata field descriptions are nested too deeply.");
        }

        int count = reader.ReadInt32();
        if (count < 0 || count > reader.Remaining)
        {
            throw new NetTraceFormatException($"Metadata declares an impossible field count {count}.");
        }

        for (int i = 0; i < count; i++)
        {
            int typeCode = reader.ReadInt32();
            if (typeCode == TypeCodeObject)
            {
                ReadFieldsV1(ref reader, null, depth + 1);
            }

            string name = reader.ReadUtf16String();
            fields?.Add(new EventFieldInfo(name, typeCode));
        }
    }

    private static void ReadFieldsV2(ref MetadataCursor reader, List<EventFieldInfo> fields)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > reader.Remaining)
        {
            throw new NetTraceFormatException($"V2 metadata declares an impossible field count {count}.");
        }

        for (int i = 0; i < count; i++)
        {
            int size = reader.ReadInt32();
            if (size < 4 || size - 4 > reader.Remaining)
            {
                throw new NetTraceFormatException($"V2 metadata field size {size} is invalid.");
            }

            // Only name and type are kept; nested descriptions are skipped via the declared size.
            var field = new MetadataCursor(reader.Take(size - 4));
            string name = field.ReadUtf16String();
            int typeCode = field.ReadInt32();
            fields.Add(new EventFieldInfo(name, typeCode == TypeCodeArray && field.Remaining >= 4 ? TypeCodeArray : typeCode));
        }
    }

    /// <summary>Bounds-checked little-endian cursor whose failures are format errors, not index exceptions.</summary>
    private ref struct MetadataCursor
    {
        private ReadOnlySpan<byte> _data;

        public MetadataCursor(ReadOnlySpan<byte> data) => _data = data;

        public readonly int Remaining => _data.Length;

        public ReadOnlySpan<byte> Take(int count)
        {
            if (count > _data.Length)
            {
                throw new NetTraceFormatException("Metadata payload is truncated.");
            }

            ReadOnlySpan<byte> result = _data[..count];
            _data = _data[count..];
            return result;
        }

        public byte ReadByte() => Take(1)[0];

        public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public string ReadUtf16String()
        {
            ReadOnlySpan<char> chars = MemoryMarshal.Cast<byte, char>(_data[..(_data.Length & ~1)]);
            int length = chars.IndexOf('\0');
            if (length < 0)
            {
                throw new NetTraceFormatException("Metadata string is not NUL-terminated.");
            }

            string value = length == 0 ? string.Empty : new string(chars[..length]);
            _data = _data[((length + 1) * 2)..];
            return value;
        }
    }
}
