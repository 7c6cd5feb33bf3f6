using System.Diagnostics.Tracing;
using System.Globalization;

namespace OpenTelemetry.Profiling.Tests;

/// <summary>Captures the profiler's self-diagnostics messages, formatted as an operator would read them.</summary>
internal sealed class ProfilingEventListener : EventListener
{
    private readonly List<string> messages = [];

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (this.messages)
            {
                return [.. this.messages];
            }
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "OpenTelemetry-Profiling")
        {
            this.EnableEvents(eventSource, EventLevel.Verbose);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        lock (this.messages)
        {
            this.messages.Add(string.Format(CultureInfo.InvariantCulture, eventData.Message ?? string.Empty, eventData.Payload?.ToArray() ?? []));
        }
    }
}
