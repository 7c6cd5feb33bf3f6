using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Streaming parser of the EventPipe "nettrace" format (Trace object version 4, with the V5 metadata tags), as
/// the runtime writes it to an EventPipe session stream.
/// </summary>
/// <remarks>
/// <para>We parse the format ourselves instead of using TraceEvent because the profiler needs raw instruction
/// pointers and bounded memory: TraceEvent resolves stacks into its own unbounded tables.</para>
/// <para>Whole blocks are read into one pooled buffer and events are decoded in place; the only allocations after
/// warm-up are metadata records (once per event type) and buffer growth for an unusually large block.</para>
/// <para>Layout: "Nettrace" magic, the FastSerialization header, a Trace object, then EventBlock, MetadataBlock,
/// StackBlock and SPBlock objects until a NullReference tag. Block payloads are 4-byte aligned relative to the
/// start of the stream.</para>
/// </remarks>
internal sealed class NetTraceReader : IDisposable
{
    private const byte TagNullReference = 1;
    private const byte TagBeginPrivateObject = 5;
    private const byte TagEndObject = 6;
    private const int MinSupportedTraceVersion = 4;
    private const int MaxSupportedTraceVersion = 5;
    private const int MaxTypeNameLength = 64;

    /// <summary>Room for one of the runtime's blocks (at most 100 KB) and what follows it; a larger block grows it.</summary>
    private const int InitialBufferSize = 128 * 1024;

    /// <summary>The runtime's blocks are at most 100 KB; anything near this bound is corruption, not data.</summary>
    private const int MaxBlockSize = 64 * 1024 * 1024;

    private const byte FlagMetadataId = 1 << 0;
    private const byte FlagCaptureThreadAndSequence = 1 << 1;
    private const byte FlagThreadId = 1 << 2;
    private const byte FlagStackId = 1 << 3;
    private const byte FlagActivityId = 1 << 4;
    private const byte FlagRelatedActivityId = 1 << 5;
    private const byte FlagSorted = 1 << 6;
    private const byte FlagDataLength = 1 << 7;

    private static readonly byte[] NettraceMagic = "Nettrace"u8.ToArray();
    private static readonly byte[] FastSerializationMagic = "!FastSerialization.1"u8.ToArray();

    private readonly Stream _stream;
    private readonly INetTraceEventHandler _handler;
    private readonly NetTraceStackCache _stacks;
    private readonly bool _ownsStacks;
    private readonly NetTraceReaderPool _pool;
    private readonly Dictionary<int, EventMetadata> _metadataOverflow = [];
    private EventMetadata?[] _metadata = new EventMetadata?[256];
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _bufferStreamOffset;
    private NetTraceHeader _header;
    private bool _disposed;

    public NetTraceReader(Stream stream, INetTraceEventHandler handler, NetTraceStackCache? stackCache = null, NetTraceReaderPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(handler);
        _stream = stream;
        _handler = handler;
        _pool = pool ?? NetTraceReaderPool.Shared;
        _ownsStacks = stackCache is null;
        _stacks = stackCache ?? _pool.RentStackCache();
        _buffer = _pool.RentBuffer(InitialBufferSize);
    }

    /// <summary>Header of the stream; valid once <see cref="INetTraceEventHandler.OnTraceStart"/> was called.</summary>
    public NetTraceHeader Header => _header;

    public long EventCount { get; private set; }

    public long BlockCount { get; private set; }

    /// <summary>The stack cache, exposed for its eviction and missing-lookup counters.</summary>
    public NetTraceStackCache StackCache => _stacks;

    /// <summary>
    /// Reads and dispatches until the stream ends. Cancellation is observed between blocks; to interrupt a read
    /// that is blocked waiting for data, stop or dispose the EventPipe session, which closes the stream.
    /// </summary>
    /// <exception cref="NetTraceFormatException">The stream is not a well-formed nettrace stream.</exception>
    public NetTraceEndReason Run(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            if (!ReadStreamHeader())
            {
                return NetTraceEndReason.StreamClosed;
            }

            ReadTraceObject();
            while (true)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return NetTraceEndReason.Cancelled;
                }

                if (!TryEnsure(1))
                {
                    return NetTraceEndReason.StreamClosed;
                }

                byte tag = _buffer[_start++];
                if (tag == TagNullReference)
                {
                    return NetTraceEndReason.EndOfTrace;
                }

                if (tag != TagBeginPrivateObject)
                {
                    throw Malformed($"expected an object (tag {TagBeginPrivateObject}) or the end marker (tag {TagNullReference}) but found tag {tag}");
                }

                ReadBlockObject();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The session owner closes the pipe to stop; whatever was mid-flight is not an error of the format.
            return cancellationToken.IsCancellationRequested ? NetTraceEndReason.Cancelled : NetTraceEndReason.StreamClosed;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _pool.ReturnBuffer(_buffer);
        _buffer = [];
        if (_ownsStacks)
        {
            _pool.ReturnStackCache(_stacks);
        }
    }

    private long Position => _bufferStreamOffset + _start;

    private static NetTraceFormatException Malformed(string detail) => new($"Malformed nettrace stream: {detail}.");

    private bool ReadStreamHeader()
    {
        if (!TryEnsure(1))
        {
            return false;
        }

        ReadOnlySpan<byte> magic = Take(NettraceMagic.Length);
        if (!magic.SequenceEqual(NettraceMagic))
        {
            throw Malformed("missing the 'Nettrace' magic (is this a NetPerf or non-EventPipe stream?)");
        }

        int length = ReadInt32();
        if (length != FastSerializationMagic.Length || !Take(length).SequenceEqual(FastSerializationMagic))
        {
            throw Malformed("missing the '!FastSerialization.1' header");
        }

        return true;
    }

    private void ReadTraceObject()
    {
        ExpectTag(TagBeginPrivateObject, "the Trace object");
        Span<byte> nameBuffer = stackalloc byte[MaxTypeNameLength];
        ReadOnlySpan<byte> name = ReadTypeHeader(nameBuffer, out int version, out int minReaderVersion);
        if (!name.SequenceEqual("Trace"u8))
        {
            throw Malformed($"the first object is '{System.Text.Encoding.ASCII.GetString(name)}', expected 'Trace'");
        }

        if (minReaderVersion > MaxSupportedTraceVersion || version < MinSupportedTraceVersion)
        {
            throw new NetTraceFormatException($"Unsupported nettrace format: Trace object version {version} (minimum reader version {minReaderVersion}); this reader supports versions {MinSupportedTraceVersion}-{MaxSupportedTraceVersion}.");
        }

        ReadOnlySpan<byte> data = Take(16 + 8 + 8 + 4 + 4 + 4 + 4);
        DateTime syncTime = ReadSystemTime(data);
        long syncQpc = BinaryPrimitives.ReadInt64LittleEndian(data[16..]);
        long frequency = BinaryPrimitives.ReadInt64LittleEndian(data[24..]);
        int pointerSize = BinaryPrimitives.ReadInt32LittleEndian(data[32..]);
        int processId = BinaryPrimitives.ReadInt32LittleEndian(data[36..]);
        int processors = BinaryPrimitives.ReadInt32LittleEndian(data[40..]);
        int samplingRate = BinaryPrimitives.ReadInt32LittleEndian(data[44..]);
        if (pointerSize is not (4 or 8))
        {
            throw Malformed($"pointer size {pointerSize} is neither 4 nor 8");
        }

        if (frequency <= 0)
        {
            throw Malformed($"QPC frequency {frequency} is not positive");
        }

        ExpectTag(TagEndObject, "the end of the Trace object");
        _header = new NetTraceHeader(version, syncTime, syncQpc, frequency, pointerSize, processId, processors, samplingRate);
        _handler.OnTraceStart(in _header);
    }

    private static DateTime ReadSystemTime(ReadOnlySpan<byte> data)
    {
        int year = BinaryPrimitives.ReadUInt16LittleEndian(data);
        int month = BinaryPrimitives.ReadUInt16LittleEndian(data[2..]);
        int day = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        int hour = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        int minute = BinaryPrimitives.ReadUInt16LittleEndian(data[10..]);
        int second = BinaryPrimitives.ReadUInt16LittleEndian(data[12..]);
        int millisecond = BinaryPrimitives.ReadUInt16LittleEndian(data[14..]);
        try
        {
            return new DateTime(year, month, day, hour, minute, second, millisecond, DateTimeKind.Utc);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new NetTraceFormatException($"Malformed nettrace stream: invalid sync time {year}-{month}-{day} {hour}:{minute}:{second}.{millisecond}.", ex);
        }
    }

    /// <summary>Reads "BeginPrivateObject NullReference version minVersion name EndObject" after the object's own begin tag.</summary>
    private ReadOnlySpan<byte> ReadTypeHeader(Span<byte> nameBuffer, out int version, out int minReaderVersion)
    {
        ExpectTag(TagBeginPrivateObject, "a type header");
        ExpectTag(TagNullReference, "the type of a type");
        version = ReadInt32();
        minReaderVersion = ReadInt32();
        int nameLength = ReadInt32();
        if (nameLength <= 0 || nameLength > nameBuffer.Length)
        {
            throw Malformed($"type name length {nameLength} at offset {Position - 4}");
        }

        Take(nameLength).CopyTo(nameBuffer);
        ExpectTag(TagEndObject, "the end of a type header");
        return nameBuffer[..nameLength];
    }

    private void ReadBlockObject()
    {
        Span<byte> nameBuffer = stackalloc byte[MaxTypeNameLength];
        ReadOnlySpan<byte> name = ReadTypeHeader(nameBuffer, out _, out int minReaderVersion);

        BlockKind kind;
        if (name.SequenceEqual("EventBlock"u8))
        {
            kind = BlockKind.Event;
        }
        else if (name.SequenceEqual("MetadataBlock"u8))
        {
            kind = BlockKind.Metadata;
        }
        else if (name.SequenceEqual("StackBlock"u8))
        {
            kind = BlockKind.Stack;
        }
        else if (name.SequenceEqual("SPBlock"u8))
        {
            kind = BlockKind.SequencePoint;
        }
        else
        {
            throw Malformed($"unknown object type '{System.Text.Encoding.ASCII.GetString(name)}' at offset {Position}");
        }

        if (minReaderVersion > 2)
        {
            throw new NetTraceFormatException($"Unsupported nettrace format: {System.Text.Encoding.ASCII.GetString(name)} requires reader version {minReaderVersion}.");
        }

        int blockSize = ReadInt32();
        if (blockSize < 0 || blockSize > MaxBlockSize)
        {
            throw Malformed($"block size {blockSize} at offset {Position - 4}");
        }

        int padding = (int)((4 - (Position & 3)) & 3);
        Take(padding);
        ReadOnlySpan<byte> block = Take(blockSize);
        BlockCount++;
        switch (kind)
        {
            case BlockKind.Event:
                ReadEventBlock(block, isMetadata: false);
                break;
            case BlockKind.Metadata:
                ReadEventBlock(block, isMetadata: true);
                break;
            case BlockKind.Stack:
                ReadStackBlock(block);
                break;
            default:
                ReadSequencePointBlock(block);
                break;
        }

        ExpectTag(TagEndObject, "the end of a block");
    }

    private void ReadEventBlock(ReadOnlySpan<byte> block, bool isMetadata)
    {
        if (block.Length < 4)
        {
            throw Malformed("event block shorter than its header");
        }

        int headerSize = BinaryPrimitives.ReadUInt16LittleEndian(block);
        int flags = BinaryPrimitives.ReadUInt16LittleEndian(block[2..]);
        if (headerSize < 4 || headerSize > block.Length)
        {
            throw Malformed($"event block header size {headerSize} for a block of {block.Length} bytes");
        }

        bool compressed = (flags & 1) != 0;
        int position = headerSize;
        var header = default(EventHeaderState);
        while (position < block.Length)
        {
            if (compressed)
            {
                ReadCompressedHeader(block, ref position, ref header);
            }
            else
            {
                ReadUncompressedHeader(block, ref position, ref header);
            }

            if ((uint)header.PayloadSize > (uint)(block.Length - position))
            {
                throw Malformed($"event payload of {header.PayloadSize} bytes overruns its block ({block.Length - position} left)");
            }

            ReadOnlySpan<byte> payload = block.Slice(position, (int)header.PayloadSize);
            position += (int)header.PayloadSize;
            if (!compressed)
            {
                // Uncompressed events are padded to a 4-byte offset (the block itself starts aligned).
                position = Math.Min((position + 3) & ~3, block.Length);
            }

            if (isMetadata)
            {
                RegisterMetadata(payload);
            }
            else
            {
                Dispatch(in header, payload);
            }
        }
    }

    private static void ReadCompressedHeader(ReadOnlySpan<byte> block, ref int position, ref EventHeaderState header)
    {
        byte flags = block[position++];
        if ((flags & FlagMetadataId) != 0)
        {
            header.MetadataId = ReadVarUInt32(block, ref position);
        }

        if ((flags & FlagCaptureThreadAndSequence) != 0)
        {
            // The writer sends (sequence - previous - 1), so adding one back is exact for every event.
            header.SequenceNumber += ReadVarUInt32(block, ref position) + 1;
            header.CaptureThreadId = (long)ReadVarUInt64(block, ref position);
            header.ProcessorNumber = (int)ReadVarUInt32(block, ref position);
        }
        else if (header.MetadataId != 0)
        {
            header.SequenceNumber++;
        }

        if ((flags & FlagThreadId) != 0)
        {
            header.ThreadId = (long)ReadVarUInt64(block, ref position);
        }

        if ((flags & FlagStackId) != 0)
        {
            header.StackId = ReadVarUInt32(block, ref position);
        }

        header.Timestamp += (long)ReadVarUInt64(block, ref position);
        if ((flags & FlagActivityId) != 0)
        {
            header.ActivityId = ReadGuid(block, ref position);
        }

        if ((flags & FlagRelatedActivityId) != 0)
        {
            header.RelatedActivityId = ReadGuid(block, ref position);
        }

        header.IsSorted = (flags & FlagSorted) != 0;
        if ((flags & FlagDataLength) != 0)
        {
            header.PayloadSize = ReadVarUInt32(block, ref position);
        }
    }

    private static void ReadUncompressedHeader(ReadOnlySpan<byte> block, ref int position, ref EventHeaderState header)
    {
        const int FixedSize = 4 + 4 + 4 + 8 + 8 + 4 + 4 + 8 + 16 + 16 + 4;
        if (block.Length - position < FixedSize)
        {
            throw Malformed("uncompressed event header overruns its block");
        }

        ReadOnlySpan<byte> h = block.Slice(position, FixedSize);
        int eventSize = BinaryPrimitives.ReadInt32LittleEndian(h);
        if (eventSize < FixedSize - 4 || eventSize > block.Length - position - 4)
        {
            throw Malformed($"uncompressed event size {eventSize}");
        }

        uint metadataWord = BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
        header.MetadataId = metadataWord & 0x7FFF_FFFF;
        header.IsSorted = (metadataWord & 0x8000_0000) == 0;
        header.SequenceNumber = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        header.ThreadId = BinaryPrimitives.ReadInt64LittleEndian(h[12..]);
        header.CaptureThreadId = BinaryPrimitives.ReadInt64LittleEndian(h[20..]);
        header.ProcessorNumber = BinaryPrimitives.ReadInt32LittleEndian(h[28..]);
        header.StackId = BinaryPrimitives.ReadUInt32LittleEndian(h[32..]);
        header.Timestamp = BinaryPrimitives.ReadInt64LittleEndian(h[36..]);
        header.ActivityId = new Guid(h.Slice(44, 16));
        header.RelatedActivityId = new Guid(h.Slice(60, 16));
        header.PayloadSize = BinaryPrimitives.ReadUInt32LittleEndian(h[76..]);
        position += FixedSize;
    }

    private void RegisterMetadata(ReadOnlySpan<byte> payload)
    {
        EventMetadata metadata;
        try
        {
            metadata = EventMetadata.Parse(payload);
        }
        catch (NetTraceFormatException ex)
        {
            throw new NetTraceFormatException($"Malformed nettrace stream: {ex.Message}", ex);
        }

        int id = metadata.MetadataId;
        if (id <= 0)
        {
            throw Malformed($"metadata record with id {id}");
        }

        if (id < 64 * 1024)
        {
            if (id >= _metadata.Length)
            {
                Array.Resize(ref _metadata, Math.Max(_metadata.Length * 2, id + 1));
            }

            _metadata[id] = metadata;
        }
        else
        {
            _metadataOverflow[id] = metadata;
        }
    }

    private void Dispatch(in EventHeaderState header, ReadOnlySpan<byte> payload)
    {
        uint id = header.MetadataId;
        EventMetadata? metadata = id < (uint)_metadata.Length
            ? _metadata[id]
            : _metadataOverflow.GetValueOrDefault((int)id);
        if (metadata is null)
        {
            throw Malformed($"event references metadata id {id} that was never defined");
        }

        EventCount++;
        var e = new NetTraceEvent(
            metadata,
            header.ThreadId,
            header.CaptureThreadId,
            header.ProcessorNumber,
            header.SequenceNumber,
            header.Timestamp,
            in header.ActivityId,
            in header.RelatedActivityId,
            header.IsSorted,
            _header.PointerSize,
            payload,
            _stacks.Get(header.StackId));
        _handler.OnEvent(in e);
    }

    private void ReadStackBlock(ReadOnlySpan<byte> block)
    {
        if (block.Length < 8)
        {
            throw Malformed("stack block shorter than its header");
        }

        uint firstId = BinaryPrimitives.ReadUInt32LittleEndian(block);
        int count = BinaryPrimitives.ReadInt32LittleEndian(block[4..]);
        if (count < 0 || count > (block.Length - 8) / 4)
        {
            throw Malformed($"stack block declares {count} stacks in {block.Length} bytes");
        }

        int pointerSize = _header.PointerSize;
        int position = 8;
        for (int i = 0; i < count; i++)
        {
            if (block.Length - position < 4)
            {
                throw Malformed("stack block is truncated");
            }

            int size = BinaryPrimitives.ReadInt32LittleEndian(block[position..]);
            position += 4;
            if (size < 0 || size > block.Length - position || size % pointerSize != 0)
            {
                throw Malformed($"stack {firstId + (uint)i} has an invalid size of {size} bytes");
            }

            ReadOnlySpan<byte> bytes = block.Slice(position, size);
            position += size;
            Span<ulong> frames = _stacks.Add(firstId + (uint)i, size / pointerSize);
            if (pointerSize == 8 && BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, ulong>(bytes).CopyTo(frames);
            }
            else if (pointerSize == 8)
            {
                for (int f = 0; f < frames.Length; f++)
                {
                    frames[f] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(f * 8)..]);
                }
            }
            else
            {
                for (int f = 0; f < frames.Length; f++)
                {
                    frames[f] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(f * 4)..]);
                }
            }
        }

        if (position != block.Length)
        {
            throw Malformed($"stack block has {block.Length - position} trailing bytes");
        }
    }

    private void ReadSequencePointBlock(ReadOnlySpan<byte> block)
    {
        if (block.Length < 12)
        {
            throw Malformed("sequence point block shorter than its header");
        }

        long timestamp = BinaryPrimitives.ReadInt64LittleEndian(block);
        int threadCount = BinaryPrimitives.ReadInt32LittleEndian(block[8..]);
        if (threadCount < 0 || (long)threadCount * 12 != block.Length - 12)
        {
            throw Malformed($"sequence point declares {threadCount} threads in {block.Length} bytes");
        }

        // Per-thread sequence numbers would only serve drop detection across blocks; not needed by the profiler.
        _stacks.Clear();
        _handler.OnSequencePoint(timestamp);
    }

    private static uint ReadVarUInt32(ReadOnlySpan<byte> data, ref int position)
    {
        uint result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (position >= data.Length)
            {
                throw Malformed("variable-length integer overruns its block");
            }

            byte b = data[position++];
            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw Malformed("variable-length 32-bit integer is longer than 5 bytes");
    }

    private static ulong ReadVarUInt64(ReadOnlySpan<byte> data, ref int position)
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (position >= data.Length)
            {
                throw Malformed("variable-length integer overruns its block");
            }

            byte b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw Malformed("variable-length 64-bit integer is longer than 10 bytes");
    }

    private static Guid ReadGuid(ReadOnlySpan<byte> data, ref int position)
    {
        if (data.Length - position < 16)
        {
            throw Malformed("activity id overruns its block");
        }

        var guid = new Guid(data.Slice(position, 16));
        position += 16;
        return guid;
    }

    private void ExpectTag(byte expected, string what)
    {
        byte tag = Take(1)[0];
        if (tag != expected)
        {
            throw Malformed($"expected tag {expected} for {what} at offset {Position - 1} but found {tag}");
        }
    }

    private int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>Consumes <paramref name="count"/> bytes; the span is valid until the next read.</summary>
    private ReadOnlySpan<byte> Take(int count)
    {
        if (!TryEnsure(count))
        {
            throw Malformed($"stream ends in the middle of an object (needed {count} bytes at offset {Position}, have {_end - _start})");
        }

        ReadOnlySpan<byte> result = _buffer.AsSpan(_start, count);
        _start += count;
        return result;
    }

    /// <summary>Buffers at least <paramref name="count"/> bytes; false when the stream ends first.</summary>
    private bool TryEnsure(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start + count > _buffer.Length)
        {
            int available = _end - _start;
            if (count > _buffer.Length)
            {
                byte[] larger = _pool.RentBuffer(count);
                _buffer.AsSpan(_start, available).CopyTo(larger);
                _pool.ReturnBuffer(_buffer);
                _buffer = larger;
            }
            else
            {
                _buffer.AsSpan(_start, available).CopyTo(_buffer);
            }

            _bufferStreamOffset += _start;
            _start = 0;
            _end = available;
        }

        while (_end - _start < count)
        {
            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    private enum BlockKind
    {
        Event,
        Metadata,
        Stack,
        SequencePoint,
    }

    /// <summary>The previous event's header: compressed headers are deltas against it, reset per block.</summary>
    private struct EventHeaderState
    {
        public uint MetadataId;
        public uint SequenceNumber;
        public long CaptureThreadId;
        public int ProcessorNumber;
        public long ThreadId;
        public uint StackId;
        public long Timestamp;
        public Guid ActivityId;
        public Guid RelatedActivityId;
        public bool IsSorted;
        public uint PayloadSize;
    }
}
