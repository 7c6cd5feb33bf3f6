using System.Diagnostics.Tracing;

namespace ProfiledWorkload;

/// <summary>Prints the profiler's self-diagnostics warnings, so tests can see what an operator would see.</summary>
internal sealed class DiagnosticsPrinter : EventListener
{
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name.StartsWith("OpenTelemetry-Profiling", StringComparison.Ordinal))
        {
            this.EnableEvents(eventSource, EventLevel.Warning);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        string message = eventData.Message is null
            ? eventData.EventName ?? string.Empty
            : string.Format(System.Globalization.CultureInfo.InvariantCulture, eventData.Message, eventData.Payload?.ToArray() ?? []);
        Console.WriteLine($"diagnostic[{eventData.EventSource.Name}]: {message}");
    }
}
