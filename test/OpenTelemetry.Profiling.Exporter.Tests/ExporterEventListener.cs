using System.Diagnostics.Tracing;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>Collects every event of the exporter's EventSource. Sees all threads: use from [DoNotParallelize] classes.</summary>
internal sealed class ExporterEventListener : EventListener
{
    private readonly List<EventWrittenEventArgs> events = [];

    public IReadOnlyList<EventWrittenEventArgs> Events
    {
        get
        {
            lock (this.events)
            {
                return [.. this.events];
            }
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "OpenTelemetry-Profiling-Exporter")
        {
            this.EnableEvents(eventSource, EventLevel.Verbose);
        }

        base.OnEventSourceCreated(eventSource);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        lock (this.events)
        {
            this.events.Add(eventData);
        }
    }
}
