using System.Diagnostics.Tracing;

namespace OpenTelemetry.Profiling.Exporter.Diagnostics;

/// <summary>
/// Self-diagnostics of the OTLP profile exporter. Endpoints are logged without user info or query;
/// header values are never logged. Event ids are never reused.
/// </summary>
[EventSource(Name = "OpenTelemetry-Profiling-Exporter")]
internal sealed class OtlpProfileExporterEventSource : EventSource
{
    public static readonly OtlpProfileExporterEventSource Log = new();

    [NonEvent]
    public void ExportFailed(Uri endpoint, OtlpExportResult result)
    {
        if (this.IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            this.ExportFailed(Redact(endpoint), (int)result.StatusCode, result.StatusCode.ToString(), result.Message ?? string.Empty);
        }
    }

    [NonEvent]
    public void ExportPartiallySucceeded(Uri endpoint, OtlpExportResult result)
    {
        if (this.IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            this.ExportPartiallySucceeded(Redact(endpoint), result.RejectedProfiles, result.PartialSuccessMessage ?? string.Empty);
        }
    }

    [NonEvent]
    public void ExportThrew(Uri endpoint, Exception exception)
    {
        if (this.IsEnabled(EventLevel.Error, EventKeywords.All))
        {
            this.ExportThrew(Redact(endpoint), exception.ToString());
        }
    }

    [NonEvent]
    public void Exported(Uri endpoint, int profileCount, int sampleCount)
    {
        if (this.IsEnabled(EventLevel.Verbose, EventKeywords.All))
        {
            this.ExportSucceeded(Redact(endpoint), profileCount, sampleCount);
        }
    }

    [NonEvent]
    public void Failed(string endpoint, OtlpExportResult result, string redactedMessage)
    {
        if (this.IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            this.ExportFailed(endpoint, (int)result.StatusCode, result.StatusCode.ToString(), redactedMessage);
        }
    }

    [NonEvent]
    public void PartiallySucceeded(string endpoint, OtlpExportResult result, string redactedMessage)
    {
        if (this.IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            this.ExportPartiallySucceeded(endpoint, result.RejectedProfiles, redactedMessage);
        }
    }

    [NonEvent]
    public void Threw(string endpoint, string redactedException)
    {
        if (this.IsEnabled(EventLevel.Error, EventKeywords.All))
        {
            this.ExportThrew(endpoint, redactedException);
        }
    }

    [NonEvent]
    public void Succeeded(string endpoint, int profileCount, int sampleCount)
    {
        if (this.IsEnabled(EventLevel.Verbose, EventKeywords.All))
        {
            this.ExportSucceeded(endpoint, profileCount, sampleCount);
        }
    }

    [NonEvent]
    public void Retrying(string endpoint, int attempt, OtlpExportResult result, TimeSpan delay, string redactedMessage)
    {
        if (this.IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            this.ExportRetrying(endpoint, attempt, (int)result.StatusCode, result.StatusCode.ToString(), (long)delay.TotalMilliseconds, redactedMessage);
        }
    }

    [NonEvent]
    public void Dropped(string endpoint, int count, string reason)
    {
        if (count > 0 && this.IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            this.RequestsDropped(endpoint, count, reason);
        }
    }

    [NonEvent]
    public void Split(string endpoint, int requestCount, int sampleCount, int maxRequestBytes)
    {
        if (this.IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            this.BatchSplit(endpoint, requestCount, sampleCount, maxRequestBytes);
        }
    }

    [NonEvent]
    public void KeptForRetry(string endpoint, int queued, TimeSpan delay)
    {
        if (this.IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            this.RequestKeptForRetry(endpoint, queued, (long)delay.TotalMilliseconds);
        }
    }

    /// <summary>Returns scheme, host, port and path only: user info and query may carry secrets.</summary>
    [NonEvent]
    public static string Redact(Uri endpoint) => endpoint.IsAbsoluteUri
        ? endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped)
        : "(relative uri)";

    [Event(1, Message = "Export to '{0}' failed with gRPC status {1} ({2}): {3}", Level = EventLevel.Warning)]
    public void ExportFailed(string endpoint, int statusCode, string statusName, string message) =>
        this.WriteEvent(1, endpoint, statusCode, statusName, message);

    [Event(2, Message = "Export to '{0}' partially succeeded: {1} profiles rejected: {2}", Level = EventLevel.Warning)]
    public void ExportPartiallySucceeded(string endpoint, long rejectedProfiles, string message) =>
        this.WriteEvent(2, endpoint, rejectedProfiles, message);

    [Event(3, Message = "Export to '{0}' threw unexpectedly: {1}", Level = EventLevel.Error)]
    public void ExportThrew(string endpoint, string exception) => this.WriteEvent(3, endpoint, exception);

    [Event(4, Message = "Environment variable {0} ignored, the default is kept: {1}", Level = EventLevel.Warning)]
    public void InvalidEnvironmentVariable(string name, string reason) => this.WriteEvent(4, name, reason);

    [Event(5, Message = "Exported {1} profiles with {2} samples to '{0}'", Level = EventLevel.Verbose)]
    public void ExportSucceeded(string endpoint, int profileCount, int sampleCount) =>
        this.WriteEvent(5, endpoint, profileCount, sampleCount);

    [Event(6, Message = "Export to '{0}' attempt {1} failed with gRPC status {2} ({3}); retrying in {4} ms: {5}", Level = EventLevel.Informational)]
    public void ExportRetrying(string endpoint, int attempt, int statusCode, string statusName, long delayMilliseconds, string message) =>
        this.WriteEvent(6, endpoint, attempt, statusCode, statusName, delayMilliseconds, message);

    [Event(7, Message = "Dropped {1} profile requests for '{0}' before delivery ({2})", Level = EventLevel.Warning)]
    public void RequestsDropped(string endpoint, int count, string reason) => this.WriteEvent(7, endpoint, count, reason);

    [Event(8, Message = "A batch of {2} samples for '{0}' was split into {1} requests of at most {3} bytes", Level = EventLevel.Informational)]
    public void BatchSplit(string endpoint, int requestCount, int sampleCount, int maxRequestBytes) =>
        this.WriteEvent(8, endpoint, requestCount, sampleCount, maxRequestBytes);

    [Event(9, Message = "'{0}' is unreachable; {1} requests stay queued, next try in {2} ms", Level = EventLevel.Informational)]
    public void RequestKeptForRetry(string endpoint, int queued, long delayMilliseconds) => this.WriteEvent(9, endpoint, queued, delayMilliseconds);
}
