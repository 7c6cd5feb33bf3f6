using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>A copy of one dispatched event, detached from the reader's buffers.</summary>
internal sealed record RecordedEvent(
    EventMetadata Metadata,
    long ThreadId,
    long CaptureThreadId,
    int ProcessorNumber,
    uint SequenceNumber,
    long TimestampQpc,
    Guid ActivityId,
    Guid RelatedActivityId,
    bool IsSorted,
    byte[] Payload,
    ulong[] Stack);
