using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>Copies everything the reader dispatches so tests can assert after the run.</summary>
internal sealed class RecordingHandler : INetTraceEventHandler
{
    public NetTraceHeader? Header { get; private set; }

    public List<RecordedEvent> Events { get; } = [];

    public List<long> SequencePoints { get; } = [];

    public void OnTraceStart(in NetTraceHeader header) => Header = header;

    public void OnEvent(in NetTraceEvent e) => Events.Add(new RecordedEvent(
        e.Metadata,
        e.ThreadId,
        e.CaptureThreadId,
        e.ProcessorNumber,
        e.SequenceNumber,
        e.TimestampQpc,
        e.ActivityId,
        e.RelatedActivityId,
        e.IsSorted,
        e.Payload.ToArray(),
        e.Stack.ToArray()));

    public void OnSequencePoint(long timestampQpc) => SequencePoints.Add(timestampQpc);
}
