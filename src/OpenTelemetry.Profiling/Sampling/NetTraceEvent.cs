namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// One decoded event. A ref struct because payload and stack are views into the reader's block buffer and
/// stack cache: handlers copy out what they keep, and the reader allocates nothing per event.
/// </summary>
internal readonly ref struct NetTraceEvent
{
    public NetTraceEvent(
        EventMetadata metadata,
        long threadId,
        long captureThreadId,
        int processorNumber,
        uint sequenceNumber,
        long timestampQpc,
        in Guid activityId,
        in Guid relatedActivityId,
        bool isSorted,
        int pointerSize,
        ReadOnlySpan<byte> payload,
        ReadOnlySpan<ulong> stack)
    {
        Metadata = metadata;
        ThreadId = threadId;
        CaptureThreadId = captureThreadId;
        ProcessorNumber = processorNumber;
        SequenceNumber = sequenceNumber;
        TimestampQpc = timestampQpc;
        ActivityId = activityId;
        RelatedActivityId = relatedActivityId;
        IsSorted = isSorted;
        PointerSize = pointerSize;
        Payload = payload;
        Stack = stack;
    }

    public EventMetadata Metadata { get; }

    /// <summary>
    /// OS id of the thread the event is about. For SampleProfiler samples this is the sampled thread, while
    /// <see cref="CaptureThreadId"/> is the sampler thread that wrote it.
    /// </summary>
    public long ThreadId { get; }

    /// <summary>OS id of the thread that wrote the event; sequence numbers are per capture thread.</summary>
    public long CaptureThreadId { get; }

    /// <summary>Processor the capture thread ran on (-1 when unknown).</summary>
    public int ProcessorNumber { get; }

    /// <summary>Per capture thread counter; a gap means the runtime dropped events.</summary>
    public uint SequenceNumber { get; }

    /// <summary>Absolute QPC timestamp, comparable with <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> in-process.</summary>
    public long TimestampQpc { get; }

    public Guid ActivityId { get; }

    public Guid RelatedActivityId { get; }

    /// <summary>Writer's promise that no later event in the stream has an older timestamp.</summary>
    public bool IsSorted { get; }

    /// <summary>Width of pointer-sized payload fields, from the trace header.</summary>
    public int PointerSize { get; }

    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Instruction pointers, leaf frame first; empty when the event carries no stack.</summary>
    public ReadOnlySpan<ulong> Stack { get; }
}
