namespace OpenTelemetry.Profiling.Sampling;

/// <summary>Hands the runtime's thread samples (sampled thread, time, state, stack) to the CPU collector.</summary>
internal sealed class SampleEventHandler(CpuSampleCollector cpu) : INetTraceEventHandler
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
            cpu.OnSample((int)e.ThreadId, e.TimestampQpc, e.Stack, state == ThreadSampleState.Managed);
        }
    }
}
