using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace RateLimiterSync;

/// <summary>
/// Listens to the diagnostics the OpenTelemetry SDK and the profiler publish as EventSources: the profile
/// exporter's successes (to report what was sent) and every warning or error (an unreachable endpoint, a
/// profiler that could not start), which would otherwise go unnoticed in a demo.
/// </summary>
internal sealed class TelemetryDiagnostics : EventListener
{
    private const string ProfileExporterSource = "OpenTelemetry-Profiling-Exporter";
    private const int ProfileExportSucceededEvent = 5;

    private readonly ConcurrentDictionary<string, int> problems = new(StringComparer.Ordinal);
    private long profileExports;
    private long profilesSent;
    private long profileSamplesSent;

    public long ProfileExports => Interlocked.Read(ref this.profileExports);

    public long ProfilesSent => Interlocked.Read(ref this.profilesSent);

    public long ProfileSamplesSent => Interlocked.Read(ref this.profileSamplesSent);

    /// <summary>Gets the distinct warnings and errors seen, with how often each occurred.</summary>
    public IReadOnlyDictionary<string, int> Problems => this.problems;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == ProfileExporterSource)
        {
            this.EnableEvents(eventSource, EventLevel.Verbose);
        }
        else if (eventSource.Name == "OpenTelemetry-Sdk")
        {
            // The SDK warns about every instrument of meters it was not told to listen to: noise here.
            this.EnableEvents(eventSource, EventLevel.Error);
        }
        else if (eventSource.Name.StartsWith("OpenTelemetry", StringComparison.Ordinal))
        {
            this.EnableEvents(eventSource, EventLevel.Warning);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventSource.Name == ProfileExporterSource && eventData.EventId == ProfileExportSucceededEvent && eventData.Payload is { Count: >= 3 } payload)
        {
            Interlocked.Increment(ref this.profileExports);
            Interlocked.Add(ref this.profilesSent, Convert.ToInt64(payload[1], CultureInfo.InvariantCulture));
            Interlocked.Add(ref this.profileSamplesSent, Convert.ToInt64(payload[2], CultureInfo.InvariantCulture));
            return;
        }

        if (eventData.Level is EventLevel.Warning or EventLevel.Error or EventLevel.Critical)
        {
            string message = eventData.Message is { Length: > 0 } format && eventData.Payload is { } args
                ? string.Format(CultureInfo.InvariantCulture, format, [.. args])
                : eventData.EventName ?? eventData.EventId.ToString(CultureInfo.InvariantCulture);
            // First line only: the OTLP exporter appends whole exception stack traces.
            int newline = message.IndexOfAny(['\r', '\n']);
            message = newline < 0 ? message : message[..newline];
            this.problems.AddOrUpdate($"[{eventData.EventSource.Name}] {eventData.Level}: {message}", 1, static (_, count) => count + 1);
        }
    }
}
