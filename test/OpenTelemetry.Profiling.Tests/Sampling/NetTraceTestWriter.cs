using System.Text;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>Test-only producer of nettrace byte streams, written from the format description, so reader tests control every byte.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Only in-memory streams; nothing to release.")]
internal sealed class NetTraceTestWriter
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _writer;

    public NetTraceTestWriter() => _writer = new BinaryWriter(_stream, Encoding.UTF8, leaveOpen: true);

    public const long SyncQpc = 1_000_000;
    public const long Frequency = 1_000_000_000;

    public byte[] ToArray() => _stream.ToArray();

    public long Length => _stream.Length;

    public NetTraceTestWriter WriteHeader(int pointerSize = 8, int traceVersion = 4, int processId = 4242)
    {
        _writer.Write("Nettrace"u8);
        _writer.Write(20);
        _writer.Write("!FastSerialization.1"u8);
        _writer.Write((byte)5);
        WriteTypeHeader("Trace", traceVersion, traceVersion);
        foreach (ushort part in new ushort[] { 2025, 3, 1, 4, 5, 6, 7, 8 })
        {
            _writer.Write(part); // year, month, day of week, day, hour, minute, second, millisecond
        }

        _writer.Write(SyncQpc);
        _writer.Write(Frequency);
        _writer.Write(pointerSize);
        _writer.Write(processId);
        _writer.Write(4); // processors
        _writer.Write(1_000_000); // sampling rate ns
        _writer.Write((byte)6);
        return this;
    }

    public NetTraceTestWriter WriteMetadataBlock(params MetadataSpec[] records)
    {
        var events = new List<EventSpec>();
        foreach (MetadataSpec record in records)
        {
            events.Add(new EventSpec { MetadataId = 0, Payload = record.ToPayload() });
        }

        return WriteEventLikeBlock("MetadataBlock", events, compressed: true);
    }

    public NetTraceTestWriter WriteEventBlock(IReadOnlyList<EventSpec> events, bool compressed = true) =>
        WriteEventLikeBlock("EventBlock", events, compressed);

    public NetTraceTestWriter WriteStackBlock(uint firstId, params ulong[][] stacks)
    {
        var content = new MemoryStream();
        var w = new BinaryWriter(content);
        w.Write(firstId);
        w.Write(stacks.Length);
        foreach (ulong[] stack in stacks)
        {
            w.Write(stack.Length * 8);
            foreach (ulong ip in stack)
            {
                w.Write(ip);
            }
        }

        return WriteBlock("StackBlock", content.ToArray());
    }

    public NetTraceTestWriter WriteSequencePoint(long timestamp, params (long ThreadId, int Sequence)[] threads)
    {
        var content = new MemoryStream();
        var w = new BinaryWriter(content);
        w.Write(timestamp);
        w.Write(threads.Length);
        foreach ((long threadId, int sequence) in threads)
        {
            w.Write(threadId);
            w.Write(sequence);
        }

        return WriteBlock("SPBlock", content.ToArray());
    }

    public NetTraceTestWriter WriteEnd()
    {
        _writer.Write((byte)1);
        return this;
    }

    public NetTraceTestWriter WriteRawBytes(ReadOnlySpan<byte> bytes)
    {
        _writer.Write(bytes);
        return this;
    }

    /// <summary>Writes a block object: begin tag, type, size, padding to a 4-byte stream offset, content, end tag.</summary>
    public NetTraceTestWriter WriteBlock(string typeName, byte[] content, int? declaredSize = null)
    {
        _writer.Write((byte)5);
        WriteTypeHeader(typeName, 2, 2);
        _writer.Write(declaredSize ?? content.Length);
        _writer.Flush();
        while (_stream.Position % 4 != 0)
        {
            _writer.Write((byte)0);
        }

        _writer.Write(content);
        _writer.Write((byte)6);
        _writer.Flush();
        return this;
    }

    private void WriteTypeHeader(string name, int version, int minReaderVersion)
    {
        _writer.Write((byte)5);
        _writer.Write((byte)1);
        _writer.Write(version);
        _writer.Write(minReaderVersion);
        _writer.Write(name.Length);
        _writer.Write(Encoding.ASCII.GetBytes(name));
        _writer.Write((byte)6);
    }

    private NetTraceTestWriter WriteEventLikeBlock(string typeName, IReadOnlyList<EventSpec> events, bool compressed)
    {
        var content = new MemoryStream();
        var w = new BinaryWriter(content);
        w.Write((short)20);
        w.Write((short)(compressed ? 1 : 0));
        w.Write(events.Count == 0 ? 0L : events.Min(e => e.Timestamp));
        w.Write(events.Count == 0 ? 0L : events.Max(e => e.Timestamp));
        var last = new EventSpec();
        foreach (EventSpec e in events)
        {
            if (compressed)
            {
                WriteCompressed(w, e, last);
            }
            else
            {
                WriteUncompressed(w, content, e);
            }

            last = e;
        }

        return WriteBlock(typeName, content.ToArray());
    }

    /// <summary>Same decision rules as the runtime writer: a field is sent only when it differs from the previous event's.</summary>
    private static void WriteCompressed(BinaryWriter w, EventSpec e, EventSpec last)
    {
        var header = new MemoryStream();
        var h = new BinaryWriter(header);
        byte flags = 0;
        if (e.MetadataId != last.MetadataId || e.ForceAllFlags)
        {
            WriteVarUInt(h, e.MetadataId);
            flags |= 1;
        }

        uint expectedSequence = last.SequenceNumber + (e.MetadataId != 0 ? 1u : 0u);
        if (expectedSequence != e.SequenceNumber || e.CaptureThreadId != last.CaptureThreadId || e.ProcessorNumber != last.ProcessorNumber || e.ForceAllFlags)
        {
            WriteVarUInt(h, unchecked(e.SequenceNumber - last.SequenceNumber - 1));
            WriteVarUInt(h, (ulong)e.CaptureThreadId);
            WriteVarUInt(h, (uint)e.ProcessorNumber);
            flags |= 2;
        }

        if (e.ThreadId != last.ThreadId || e.ForceAllFlags)
        {
            WriteVarUInt(h, (ulong)e.ThreadId);
            flags |= 4;
        }

        if (e.StackId != last.StackId || e.ForceAllFlags)
        {
            WriteVarUInt(h, e.StackId);
            flags |= 8;
        }

        WriteVarUInt(h, (ulong)(e.Timestamp - last.Timestamp));
        if (e.ActivityId != last.ActivityId || e.ForceAllFlags)
        {
            h.Write(e.ActivityId.ToByteArray());
            flags |= 16;
        }

        if (e.RelatedActivityId != last.RelatedActivityId || e.ForceAllFlags)
        {
            h.Write(e.RelatedActivityId.ToByteArray());
            flags |= 32;
        }

        if (e.IsSorted)
        {
            flags |= 64;
        }

        if (e.Payload.Length != last.Payload.Length || e.ForceAllFlags)
        {
            WriteVarUInt(h, (uint)e.Payload.Length);
            flags |= 128;
        }

        w.Write(flags);
        w.Write(header.ToArray());
        w.Write(e.Payload);
    }

    private static void WriteUncompressed(BinaryWriter w, MemoryStream content, EventSpec e)
    {
        int fixedSize = 4 + 4 + 8 + 8 + 4 + 4 + 8 + 16 + 16 + 4;
        int unpadded = fixedSize + e.Payload.Length;
        int eventSize = (unpadded + 3) & ~3;
        w.Write(eventSize);
        w.Write(e.MetadataId | (e.IsSorted ? 0u : 0x8000_0000u));
        w.Write(e.SequenceNumber);
        w.Write(e.ThreadId);
        w.Write(e.CaptureThreadId);
        w.Write(e.ProcessorNumber);
        w.Write(e.StackId);
        w.Write(e.Timestamp);
        w.Write(e.ActivityId.ToByteArray());
        w.Write(e.RelatedActivityId.ToByteArray());
        w.Write(e.Payload.Length);
        w.Write(e.Payload);
        w.Flush();
        while (content.Position % 4 != 0)
        {
            w.Write((byte)0);
        }
    }

    public static void WriteVarUInt(BinaryWriter w, ulong value)
    {
        while (value >= 0x80)
        {
            w.Write((byte)(value | 0x80));
            value >>= 7;
        }

        w.Write((byte)value);
    }

    internal sealed record MetadataSpec(int MetadataId, string Provider, int EventId, string EventName, int Version = 0, long Keywords = 0, int Level = 4, int? Opcode = null, string[]? FieldNames = null)
    {
        public byte[] ToPayload()
        {
            var ms = new MemoryStream();
            var w = new BinaryWriter(ms);
            w.Write(MetadataId);
            WriteUtf16(w, Provider);
            w.Write(EventId);
            WriteUtf16(w, EventName);
            w.Write(Keywords);
            w.Write(Version);
            w.Write(Level);
            string[] fields = FieldNames ?? [];
            w.Write(fields.Length);
            foreach (string field in fields)
            {
                w.Write((int)TypeCode.UInt64);
                WriteUtf16(w, field);
            }

            if (Opcode is int opcode)
            {
                w.Write(1); // tag payload size
                w.Write((byte)1); // OpCode tag
                w.Write((byte)opcode);
            }

            return ms.ToArray();
        }
    }

    public static void WriteUtf16(BinaryWriter w, string value)
    {
        w.Write(Encoding.Unicode.GetBytes(value));
        w.Write((short)0);
    }

    internal sealed class EventSpec
    {
        public uint MetadataId { get; init; }

        public uint SequenceNumber { get; init; }

        public long ThreadId { get; init; }

        public long CaptureThreadId { get; init; }

        public int ProcessorNumber { get; init; }

        public uint StackId { get; init; }

        public long Timestamp { get; init; }

        public Guid ActivityId { get; init; }

        public Guid RelatedActivityId { get; init; }

        public bool IsSorted { get; init; }

        public bool ForceAllFlags { get; init; }

        public byte[] Payload { get; init; } = [];
    }
}
