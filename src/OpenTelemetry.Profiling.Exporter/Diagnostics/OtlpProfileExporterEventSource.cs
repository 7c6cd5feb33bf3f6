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
}
