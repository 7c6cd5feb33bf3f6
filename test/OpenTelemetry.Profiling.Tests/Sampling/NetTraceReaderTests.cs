using System.Buffers.Binary;
using OpenTelemetry.Profiling.Sampling;
using static OpenTelemetry.Profiling.Tests.Sampling.NetTraceTestWriter;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class NetTraceReaderTests
{
    private const string Provider = "My-Provider";

    private static (RecordingHandler Handler, NetTraceEndReason End, NetTraceReader Reader) Read(byte[] bytes, Stream? stream = null)
    {
        var handler = new RecordingHandler();
        var reader = new NetTraceReader(stream ?? new MemoryStream(bytes), handler);
        NetTraceEndReason end = reader.Run();
        return (handler, end, reader);
    }

    private static NetTraceTestWriter WithMetadata() => new NetTraceTestWriter()
        .WriteHeader()
        .WriteMetadataBlock(
            new MetadataSpec(1, Provider, 7, "Tick", Version: 2, Keywords: 0x10, Level: 5, Opcode: 3, FieldNames: ["A", "B"]),
            new MetadataSpec(2, RuntimeEvents.SampleProfilerProvider, 0, string.Empty));

    [TestMethod]
    public void Read_WhenStreamHasOnlyHeader_ReportsTraceFactsAndEndsAtEndTag()
    {
        byte[] bytes = new NetTraceTestWriter().WriteHeader(processId: 99).WriteEnd().ToArray();

        (RecordingHandler handler, NetTraceEndReason end, _) = Read(bytes);

        Assert.AreEqual(NetTraceEndReason.EndOfTrace, end);
        NetTraceHeader header = handler.Header!.Value;
        Assert.AreEqual(4, header.FormatVersion);
        Assert.AreEqual(SyncQpc, header.SyncTimeQpc);
        Assert.AreEqual(Frequency, header.QpcFrequency);
        Assert.AreEqual(8, header.PointerSize);
        Assert.AreEqual(99, header.ProcessId);
        Assert.AreEqual(4, header.ProcessorCount);
        Assert.AreEqual(1_000_000, header.ExpectedCpuSamplingRateNs);
        Assert.AreEqual(new DateTime(2025, 3, 4, 5, 6, 7, 8, DateTimeKind.Utc), header.SyncTimeUtc);
        Assert.AreEqual(header.SyncTimeUtc.AddSeconds(1.5), header.QpcToUtc(SyncQpc + (Frequency * 3 / 2)));
    }

    [TestMethod]
    public void Read_WhenStreamStopsBetweenObjects_EndsAsStreamClosed()
    {
        byte[] bytes = WithMetadata().ToArray();

        (_, NetTraceEndReason end, _) = Read(bytes);

        Assert.AreEqual(NetTraceEndReason.StreamClosed, end);
    }

    [TestMethod]
    public void Read_WhenMetadataBlockFollows_ParsesEveryMetadataField()
    {
        byte[] bytes = WithMetadata()
            .WriteEventBlock([new EventSpec { MetadataId = 1, SequenceNumber = 1, ThreadId = 5, CaptureThreadId = 5, Timestamp = SyncQpc + 1, Payload = [1, 2, 3] }])
            .WriteEnd().ToArray();

        (RecordingHandler handler, _, _) = Read(bytes);

        EventMetadata metadata = handler.Events.Single().Metadata;
        Assert.AreEqual(1, metadata.MetadataId);
        Assert.AreEqual(Provider, metadata.ProviderName);
        Assert.AreEqual(7, metadata.EventId);
        Assert.AreEqual("Tick", metadata.EventName);
        Assert.AreEqual(0x10, metadata.Keywords);
        Assert.AreEqual(2, metadata.Version);
        Assert.AreEqual(5, metadata.Level);
        Assert.AreEqual(3, metadata.Opcode);
        CollectionAssert.AreEqual(new[] { "A", "B" }, metadata.Fields.Select(f => f.Name).ToArray());
        Assert.AreEqual(KnownEventKind.Unknown, metadata.Kind);
    }

    [TestMethod]
    public void Read_WhenHeadersAreCompressed_ReconstructsEveryFieldFromDeltas()
    {
        var activity = Guid.NewGuid();
        var related = Guid.NewGuid();
        EventSpec[] events =
        [
            new() { MetadataId = 1, SequenceNumber = 1, ThreadId = 100, CaptureThreadId = 100, ProcessorNumber = 2, Timestamp = SyncQpc + 10, Payload = [1, 2] },
            new() { MetadataId = 1, SequenceNumber = 2, ThreadId = 100, CaptureThreadId = 100, ProcessorNumber = 2, Timestamp = SyncQpc + 15, Payload = [3, 4] },
            new() { MetadataId = 2, SequenceNumber = 7, ThreadId = 200, CaptureThreadId = 300, ProcessorNumber = 1, Timestamp = SyncQpc + 20, ActivityId = activity, RelatedActivityId = related, IsSorted = true, Payload = [5, 6, 7] },
            new() { MetadataId = 2, SequenceNumber = 8, ThreadId = 200, CaptureThreadId = 300, ProcessorNumber = 1, Timestamp = SyncQpc + 20, ActivityId = activity, RelatedActivityId = related, Payload = [8, 9, 10] },
            new() { MetadataId = 1, SequenceNumber = 9, ThreadId = 1L << 40, CaptureThreadId = 300, ProcessorNumber = 1, Timestamp = SyncQpc + 5000, ForceAllFlags = true, Payload = [] },
        ];
        byte[] bytes = WithMetadata().WriteEventBlock(events).WriteEnd().ToArray();

        (RecordingHandler handler, _, NetTraceReader reader) = Read(bytes);

        Assert.AreEqual(5, handler.Events.Count);
        Assert.AreEqual(5, reader.EventCount);
        for (int i = 0; i < events.Length; i++)
        {
            EventSpec expected = events[i];
            RecordedEvent actual = handler.Events[i];
            Assert.AreEqual((int)expected.MetadataId, actual.Metadata.MetadataId, $"event {i}");
            Assert.AreEqual(expected.SequenceNumber, actual.SequenceNumber, $"event {i}");
            Assert.AreEqual(expected.ThreadId, actual.ThreadId, $"event {i}");
            Assert.AreEqual(expected.CaptureThreadId, actual.CaptureThreadId, $"event {i}");
            Assert.AreEqual(expected.ProcessorNumber, actual.ProcessorNumber, $"event {i}");
            Assert.AreEqual(expected.Timestamp, actual.TimestampQpc, $"event {i}");
            Assert.AreEqual(expected.ActivityId, actual.ActivityId, $"event {i}");
            Assert.AreEqual(expected.RelatedActivityId, actual.RelatedActivityId, $"event {i}");
            Assert.AreEqual(expected.IsSorted, actual.IsSorted, $"event {i}");
            CollectionAssert.AreEqual(expected.Payload, actual.Payload, $"event {i}");
        }
    }

    [TestMethod]
    public void Read_WhenNewBlockStarts_ResetsCompressionStateToZero()
    {
        byte[] bytes = WithMetadata()
            .WriteEventBlock([new EventSpec { MetadataId = 1, SequenceNumber = 1, ThreadId = 9, CaptureThreadId = 9, Timestamp = SyncQpc + 100, Payload = [1] }])
            .WriteEventBlock([new EventSpec { MetadataId = 1, SequenceNumber = 2, ThreadId = 9, CaptureThreadId = 9, Timestamp = SyncQpc + 200, Payload = [2] }])
            .WriteEnd().ToArray();

        (RecordingHandler handler, _, _) = Read(bytes);

        CollectionAssert.AreEqual(new[] { SyncQpc + 100, SyncQpc + 200 }, handler.Events.Select(e => e.TimestampQpc).ToArray());
        CollectionAssert.AreEqual(new uint[] { 1, 2 }, handler.Events.Select(e => e.SequenceNumber).ToArray());
    }

    [TestMethod]
    public void Read_WhenHeadersAreUncompressed_ReadsFixedLayoutWithPadding()
    {
        var activity = Guid.NewGuid();
        EventSpec[] events =
        [
            new() { MetadataId = 1, SequenceNumber = 3, ThreadId = 11, CaptureThreadId = 12, ProcessorNumber = 1, Timestamp = SyncQpc + 7, ActivityId = activity, IsSorted = true, Payload = [1, 2, 3] },
            new() { MetadataId = 2, SequenceNumber = 4, ThreadId = 13, CaptureThreadId = 12, ProcessorNumber = 3, Timestamp = SyncQpc + 9, Payload = [4] },
        ];
        byte[] bytes = WithMetadata().WriteEventBlock(events, compressed: false).WriteEnd().ToArray();

        (RecordingHandler handler, _, _) = Read(bytes);

        Assert.AreEqual(2, handler.Events.Count);
        Assert.AreEqual(11, handler.Events[0].ThreadId);
        Assert.AreEqual(12, handler.Events[0].CaptureThreadId);
        Assert.AreEqual(activity, handler.Events[0].ActivityId);
        Assert.IsTrue(handler.Events[0].IsSorted);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, handler.Events[0].Payload);
        Assert.AreEqual(2, handler.Events[1].Metadata.MetadataId);
        Assert.AreEqual(3, handler.Events[1].ProcessorNumber);
        Assert.IsFalse(handler.Events[1].IsSorted);
        CollectionAssert.AreEqual(new byte[] { 4 }, handler.Events[1].Payload);
    }

    [TestMethod]
    public void Read_WhenStackBlockFollows_ResolvesStackIds()
    {
        byte[] bytes = WithMetadata()
            .WriteStackBlock(1, [0x1000, 0x2000, 0x3000], [], [0xFFFF_FFFF_FFFF_0000])
            .WriteEventBlock(
            [
                new() { MetadataId = 2, SequenceNumber = 1, ThreadId = 1, CaptureThreadId = 1, StackId = 1, Timestamp = SyncQpc + 1, Payload = [2, 0, 0, 0] },
                new() { MetadataId = 2, SequenceNumber = 2, ThreadId = 1, CaptureThreadId = 1, StackId = 3, Timestamp = SyncQpc + 2, Payload = [2, 0, 0, 0] },
                new() { MetadataId = 2, SequenceNumber = 3, ThreadId = 1, CaptureThreadId = 1, StackId = 2, Timestamp = SyncQpc + 3, Payload = [2, 0, 0, 0] },
                new() { MetadataId = 2, SequenceNumber = 4, ThreadId = 1, CaptureThreadId = 1, StackId = 0, Timestamp = SyncQpc + 4, Payload = [2, 0, 0, 0] },
            ])
            .WriteEnd().ToArray();

        (RecordingHandler handler, _, _) = Read(bytes);

        CollectionAssert.AreEqual(new ulong[] { 0x1000, 0x2000, 0x3000 }, handler.Events[0].Stack);
        CollectionAssert.AreEqual(new ulong[] { 0xFFFF_FFFF_FFFF_0000 }, handler.Events[1].Stack);
        Assert.AreEqual(0, handler.Events[2].Stack.Length);
        Assert.AreEqual(0, handler.Events[3].Stack.Length);
        Assert.AreEqual(KnownEventKind.ThreadSample, handler.Events[0].Metadata.Kind);
    }

    [TestMethod]
    public void Read_WhenTraceIs32Bit_WidensStackAddresses()
    {
        var stack = new MemoryStream();
        var w = new BinaryWriter(stack);
        w.Write(1u);
        w.Write(1);
        w.Write(8);
        w.Write(0x1234u);
        w.Write(0xFFFF_0000u);
        byte[] bytes = new NetTraceTestWriter().WriteHeader(pointerSize: 4)
            .WriteMetadataBlock(new MetadataSpec(1, Provider, 1, "E"))
            .WriteBlock("StackBlock", stack.ToArray())
            .WriteEventBlock([new EventSpec { MetadataId = 1, SequenceNumber = 1, StackId = 1, Timestamp = SyncQpc }])
            .WriteEnd().ToArray();

        (RecordingHandler handler, _, _) = Read(bytes);

        CollectionAssert.AreEqual(new ulong[] { 0x1234, 0xFFFF_0000 }, handler.Events.Single().Stack);
    }

    [TestMethod]
    public void Read_WhenSequencePointArrives_ClearsStackCacheAndNotifies()
    {
        byte[] bytes = WithMetadata()
            .WriteStackBlock(1, [0xA])
            .WriteEventBlock([new EventSpec { MetadataId = 2, SequenceNumber = 1, StackId = 1, Timestamp = SyncQpc + 1 }])
            .WriteSequencePoint(SyncQpc + 50, (1, 1), (2, 5))
            .WriteEventBlock([new EventSpec { MetadataId = 2, SequenceNumber = 2, StackId = 1, Timestamp = SyncQpc + 60 }])
            .WriteStackBlock(1, [0xB, 0xC])
            .WriteEventBlock([new EventSpec { MetadataId = 2, SequenceNumber = 3, StackId = 1, Timestamp = SyncQpc + 70 }])
            .WriteEnd().ToArray();

        (RecordingHandler handler, _, NetTraceReader reader) = Read(bytes);

        CollectionAssert.AreEqual(new[] { SyncQpc + 50 }, handler.SequencePoints);
        CollectionAssert.AreEqual(new ulong[] { 0xA }, handler.Events[0].Stack);
        Assert.AreEqual(0, handler.Events[1].Stack.Length, "stack ids do not survive a sequence point");
        CollectionAssert.AreEqual(new ulong[] { 0xB, 0xC }, handler.Events[2].Stack, "ids restart at 1 after the sequence point");
        Assert.AreEqual(1, reader.StackCache.MissingStackLookups);
    }

    [TestMethod]
    public void Dispose_GivesTheBufferAndAnEmptyStackCacheToTheNextReader()
    {
        // A sampling window opens a session, and so a reader, every cycle: the next reader reuses what the last
        // one allocated instead of leaving it to the large-object heap.
        byte[] bytes = WithMetadata()
            .WriteStackBlock(1, [0xA])
            .WriteEventBlock([new EventSpec { MetadataId = 2, SequenceNumber = 1, StackId = 7, Timestamp = SyncQpc + 1 }])
            .WriteEnd().ToArray();
        var pool = new NetTraceReaderPool();
        var first = new NetTraceReader(new MemoryStream(bytes), new RecordingHandler(), pool: pool);
        first.Run();
        NetTraceStackCache cache = first.StackCache;
        Assert.AreEqual(1, cache.MissingStackLookups);

        first.Dispose();
        Assert.AreEqual(1, pool.IdleBuffers);
        Assert.AreEqual(1, pool.IdleStackCaches);
        var handler = new RecordingHandler();
        using var second = new NetTraceReader(new MemoryStream(bytes), handler, pool: pool);

        Assert.AreSame(cache, second.StackCache);
        Assert.AreEqual(0, cache.Count);
        Assert.AreEqual(0, cache.MissingStackLookups, "counters start again for the new stream");
        Assert.AreEqual(0, pool.IdleBuffers);
        second.Run();
        Assert.AreEqual(1, handler.Events.Count);
    }

    [TestMethod]
    public void Dispose_KeepsAStackCacheItWasGiven_AndThePoolStaysBounded()
    {
        byte[] bytes = WithMetadata().WriteEnd().ToArray();
        var pool = new NetTraceReaderPool();
        var own = new NetTraceStackCache();
        new NetTraceReader(new MemoryStream(bytes), new RecordingHandler(), own, pool).Dispose();
        Assert.AreEqual(0, pool.IdleStackCaches, "the caller owns a cache it passed in");
        Assert.AreEqual(1, pool.IdleBuffers, "the read buffer is the reader's own");

        var grown = new NetTraceStackCache();
        grown.Add(1, 200_000);
        Assert.IsGreaterThan(NetTraceReaderPool.MaxKeptBytes, grown.RetainedBytes);
        pool.ReturnStackCache(grown);
        pool.ReturnBuffer(new byte[NetTraceReaderPool.MaxKeptBytes + 1]);
        Assert.AreEqual(0, pool.IdleStackCaches, "a cache that grew past the bound is dropped");
        Assert.AreEqual(1, pool.IdleBuffers, "so is a buffer");

        for (int i = 0; i < NetTraceReaderPool.MaxIdle + 3; i++)
        {
            pool.ReturnBuffer(new byte[1024]);
            pool.ReturnStackCache(new NetTraceStackCache());
        }

        Assert.AreEqual(NetTraceReaderPool.MaxIdle, pool.IdleBuffers);
        Assert.AreEqual(NetTraceReaderPool.MaxIdle, pool.IdleStackCaches);
        Assert.IsGreaterThanOrEqualTo(4096, pool.RentBuffer(4096).Length, "a kept buffer too small is not handed out");
    }

    [TestMethod]
    public void StackCache_UntilItsFirstStack_HoldsNoMemory()
    {
        // The method session's reader never sees a stack; each cache used to start with 136 KB of arrays.
        var cache = new NetTraceStackCache();
        Assert.AreEqual(0, cache.RetainedBytes);

        var stack = cache.Add(1, 3);
        stack[0] = 10;
        stack[1] = 20;
        stack[2] = 30;
        cache.Add(2, 0);
        CollectionAssert.AreEqual(new ulong[] { 10, 20, 30 }, cache.Get(1).ToArray());
        Assert.AreEqual(0, cache.Get(2).Length);
        Assert.IsGreaterThan(0L, cache.RetainedBytes);
    }

    [TestMethod]
    public void Read_WhenNoSequencePointEverArrives_KeepsStackCacheBounded()
    {
        var cache = new NetTraceStackCache(maxAddresses: 64, maxStacks: 8);
        var writer = WithMetadata();
        for (uint block = 0; block < 10; block++)
        {
            writer.WriteStackBlock(1 + (block * 4), [1, 2], [3], [4, 5, 6], [7]);
        }

        byte[] bytes = writer
            .WriteEventBlock([new EventSpec { MetadataId = 2, SequenceNumber = 1, StackId = 40, Timestamp = SyncQpc }])
            .WriteEnd().ToArray();
        var handler = new RecordingHandler();

        new NetTraceReader(new MemoryStream(bytes), handler, cache).Run();

        Assert.IsLessThanOrEqualTo(8, cache.Count);
        Assert.IsGreaterThan(0, cache.Evictions);
        CollectionAssert.AreEqual(new ulong[] { 7 }, handler.Events.Single().Stack, "the most recent stacks stay resolvable");
    }

    [TestMethod]
    public void Read_WhenBlocksNeedPadding_AlignsToStreamOffsets()
    {
        // Metadata names of varying length shift the following blocks to every residue modulo 4.
        var writer = new NetTraceTestWriter().WriteHeader();
        for (int i = 1; i <= 4; i++)
        {
            writer.WriteMetadataBlock(new MetadataSpec(i, Provider + new string('x', i), i, "E" + new string('y', i)));
            writer.WriteEventBlock([new EventSpec { MetadataId = (uint)i, SequenceNumber = 1, Timestamp = SyncQpc + i, Payload = new byte[i] }]);
        }

        byte[] bytes = writer.WriteEnd().ToArray();

        (RecordingHandler handler, NetTraceEndReason end, _) = Read(bytes);

        Assert.AreEqual(NetTraceEndReason.EndOfTrace, end);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, handler.Events.Select(e => e.Metadata.EventId).ToArray());
    }

    [TestMethod]
    public void Read_WhenStreamDeliversOneByteAtATime_ProducesSameEvents()
    {
        byte[] bytes = WithMetadata()
            .WriteStackBlock(1, [0x10, 0x20])
            .WriteEventBlock([new EventSpec { MetadataId = 2, SequenceNumber = 1, ThreadId = 3, StackId = 1, Timestamp = SyncQpc + 3, Payload = [2, 0, 0, 0] }])
            .WriteEnd().ToArray();

        (RecordingHandler handler, NetTraceEndReason end, _) = Read(bytes, new TrickleStream(bytes));

        Assert.AreEqual(NetTraceEndReason.EndOfTrace, end);
        CollectionAssert.AreEqual(new ulong[] { 0x10, 0x20 }, handler.Events.Single().Stack);
    }

    [TestMethod]
    public void Read_WhenBlockIsLargerThanReadBuffer_GrowsBuffer()
    {
        var events = Enumerable.Range(1, 2000)
            .Select(i => new EventSpec { MetadataId = 1, SequenceNumber = (uint)i, ThreadId = 1, Timestamp = SyncQpc + i, Payload = new byte[300] })
            .ToArray();
        byte[] bytes = WithMetadata().WriteEventBlock(events).WriteEnd().ToArray();
        Assert.IsGreaterThan(256 * 1024, bytes.Length);

        (RecordingHandler handler, _, _) = Read(bytes);

        Assert.AreEqual(2000, handler.Events.Count);
    }

    [TestMethod]
    public void Read_WhenManyEventsFlow_AllocatesIndependentlyOfEventCount()
    {
        var writer = WithMetadata().WriteStackBlock(1, [0x1, 0x2, 0x3], [0x4, 0x5]);
        for (int block = 0; block < 20; block++)
        {
            writer.WriteEventBlock(Enumerable.Range(1, 1000)
                .Select(i => new EventSpec { MetadataId = 2, SequenceNumber = (uint)i, ThreadId = i % 7, CaptureThreadId = 1, StackId = (uint)(1 + (i % 2)), Timestamp = SyncQpc + i, Payload = [2, 0, 0, 0] })
                .ToArray());
        }

        byte[] bytes = writer.WriteEnd().ToArray();
        var handler = new CountingHandler();
        using var reader = new NetTraceReader(new MemoryStream(bytes), handler);

        long before = GC.GetAllocatedBytesForCurrentThread();
        reader.Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.AreEqual(20_000, handler.Count);
        Assert.IsLessThan(64 * 1024, allocated, "only metadata records may allocate, never each event");
    }

    [TestMethod]
    public void Read_WhenCancelled_StopsBetweenBlocks()
    {
        byte[] bytes = WithMetadata().WriteEnd().ToArray();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var reader = new NetTraceReader(new MemoryStream(bytes), new RecordingHandler());

        Assert.AreEqual(NetTraceEndReason.Cancelled, reader.Run(cts.Token));
    }

    [TestMethod]
    public void Read_WhenStreamThrowsIOException_EndsAsStreamClosed()
    {
        byte[] bytes = WithMetadata().ToArray();

        (_, NetTraceEndReason end, _) = Read(bytes, new BrokenPipeStream(bytes));

        Assert.AreEqual(NetTraceEndReason.StreamClosed, end);
    }

    [TestMethod]
    public void Read_WhenStreamIsEmpty_EndsAsStreamClosed()
    {
        (_, NetTraceEndReason end, _) = Read([]);

        Assert.AreEqual(NetTraceEndReason.StreamClosed, end);
    }

    [TestMethod]
    [DataRow("magic")]
    [DataRow("fastserialization")]
    [DataRow("trace-version-6")]
    [DataRow("truncated-block")]
    [DataRow("unknown-object")]
    [DataRow("bad-tag")]
    [DataRow("undefined-metadata")]
    [DataRow("payload-overrun")]
    [DataRow("varint-too-long")]
    [DataRow("stack-size-not-multiple")]
    [DataRow("missing-end-object")]
    [DataRow("huge-block-size")]
    [DataRow("metadata-string-unterminated")]
    public void Read_WhenInputIsMalformed_ThrowsNetTraceFormatException(string corruption)
    {
        byte[] bytes = BuildMalformed(corruption);

        var ex = Assert.ThrowsExactly<NetTraceFormatException>(() => Read(bytes));

        StringAssert.Contains(ex.Message, "nettrace", StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] BuildMalformed(string corruption)
    {
        switch (corruption)
        {
            case "magic":
            {
                byte[] bytes = new NetTraceTestWriter().WriteHeader().WriteEnd().ToArray();
                bytes[0] = (byte)'X';
                return bytes;
            }

            case "fastserialization":
            {
                byte[] bytes = new NetTraceTestWriter().WriteHeader().WriteEnd().ToArray();
                bytes[13] = (byte)'X';
                return bytes;
            }

            case "trace-version-6":
                return new NetTraceTestWriter().WriteHeader(traceVersion: 6).WriteEnd().ToArray();
            case "truncated-block":
            {
                byte[] bytes = WithMetadata().WriteEventBlock([new EventSpec { MetadataId = 1, Payload = new byte[64] }]).ToArray();
                return bytes[..^20];
            }

            case "unknown-object":
                return WithMetadata().WriteBlock("Mystery", new byte[8]).WriteEnd().ToArray();
            case "bad-tag":
                return WithMetadata().WriteRawBytes([9]).ToArray();
            case "undefined-metadata":
                return WithMetadata().WriteEventBlock([new EventSpec { MetadataId = 77, SequenceNumber = 1 }]).WriteEnd().ToArray();
            case "payload-overrun":
            {
                var content = new MemoryStream();
                var w = new BinaryWriter(content);
                w.Write((short)20);
                w.Write((short)1);
                w.Write(0L);
                w.Write(0L);
                w.Write((byte)(1 | 128));
                w.Write((byte)1); // metadata id
                w.Write((byte)0); // timestamp delta
                w.Write((byte)100); // payload size beyond the block
                return WithMetadata().WriteBlock("EventBlock", content.ToArray()).WriteEnd().ToArray();
            }

            case "varint-too-long":
            {
                var content = new MemoryStream();
                var w = new BinaryWriter(content);
                w.Write((short)20);
                w.Write((short)1);
                w.Write(0L);
                w.Write(0L);
                w.Write((byte)1);
                w.Write(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0 });
                return WithMetadata().WriteBlock("EventBlock", content.ToArray()).WriteEnd().ToArray();
            }

            case "stack-size-not-multiple":
            {
                var content = new MemoryStream();
                var w = new BinaryWriter(content);
                w.Write(1u);
                w.Write(1);
                w.Write(6);
                w.Write(new byte[6]);
                return WithMetadata().WriteBlock("StackBlock", content.ToArray()).WriteEnd().ToArray();
            }

            case "missing-end-object":
            {
                byte[] bytes = WithMetadata().WriteSequencePoint(5).WriteEnd().ToArray();
                bytes[^2] = 7; // the SPBlock's EndObject tag
                return bytes;
            }

            case "huge-block-size":
                return WithMetadata().WriteBlock("EventBlock", new byte[24], declaredSize: int.MaxValue).ToArray();
            case "metadata-string-unterminated":
            {
                var content = new MemoryStream();
                var w = new BinaryWriter(content);
                w.Write((short)20);
                w.Write((short)1);
                w.Write(0L);
                w.Write(0L);
                byte[] payload = new byte[10];
                BinaryPrimitives.WriteInt32LittleEndian(payload, 3);
                payload[4] = (byte)'A';
                payload[6] = (byte)'B';
                payload[8] = (byte)'C';
                w.Write((byte)128);
                w.Write((byte)0);
                w.Write((byte)payload.Length);
                w.Write(payload);
                return new NetTraceTestWriter().WriteHeader().WriteBlock("MetadataBlock", content.ToArray()).WriteEnd().ToArray();
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(corruption));
        }
    }

    private sealed class CountingHandler : INetTraceEventHandler
    {
        public int Count { get; private set; }

        public void OnTraceStart(in NetTraceHeader header)
        {
        }

        public void OnEvent(in NetTraceEvent e)
        {
            if (!e.Stack.IsEmpty)
            {
                Count++;
            }
        }

        public void OnSequencePoint(long timestampQpc)
        {
        }
    }

    /// <summary>Returns at most one byte per read, like a slow pipe.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));
    }

    /// <summary>Fails the read after the data, like a pipe torn down while the session stops.</summary>
    private sealed class BrokenPipeStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            int read = base.Read(buffer, offset, count);
            return read > 0 ? read : throw new IOException("Broken pipe");
        }
    }
}
