namespace OpenTelemetry.Profiling.Sampling;

/// <summary>Hands the runtime's thread samples (sampled thread, time, state, stack) to the collector, for CPU and wall time.</summary>
internal sealed class SampleEventHandler(SampleCollector samples) : INetTraceEventHandler
{
    public void OnTraceStart(in NetTraceHeader header)
    {
    }

    public void OnSequencePoint(long timestampQpc)
    {
    }

    public void OnEvent(in NetTraceEvent e)
    {
        if (e.Metadata.Kind == KnownEventKind.ThreadSample)
        {
            var state = RuntimeEventDecoders.ReadThreadSampleState(e.Payload);
            samples.OnThreadSample((int)e.ThreadId, e.TimestampQpc, e.Stack, state == ThreadSampleState.Managed);
        }
    }
}
