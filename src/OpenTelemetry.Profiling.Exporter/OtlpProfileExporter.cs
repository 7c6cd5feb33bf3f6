using OpenTelemetry.Profiling.Export;
using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Profiling.Exporter.Diagnostics;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Profiling.Model;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Sends each <see cref="ProfileBatch"/> to an OTLP endpoint (a Collector, Pyroscope, ...). Never throws: a
/// failed export is reported through the returned result and the <c>OpenTelemetry-Profiling-Exporter</c>
/// EventSource.
/// </summary>
internal sealed class OtlpProfileExporter : ProfileExporter
{
    private readonly OtlpProfileTransport transport;

    // Exposed for tests that check which endpoint and timeout were resolved.
    internal OtlpProfileTransport Transport => this.transport;

    public OtlpProfileExporter(OtlpProfileExporterSettings settings, HttpMessageHandler? handler = null)
        : this(CreateTransport(settings, handler))
    {
    }

    internal OtlpProfileExporter(OtlpProfileTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        this.transport = transport;
    }

    /// <summary>Gets the outcome of the last export, for tests and diagnostics.</summary>
    internal OtlpExportResult? LastResult { get; private set; }

    public override ExportResult Export(ProfileBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);

        // The exporter's own HTTP calls are not application work: keep them out of traces.
        using var scope = SuppressInstrumentationScope.Begin();
        try
        {
            var request = OtlpProfileConverter.ToRequest(batch);

            // Export is called from the profiler's own background thread, so blocking here is expected.
            var result = this.transport.ExportAsync(request, cancellationToken).GetAwaiter().GetResult();
            this.LastResult = result;
            if (!result.IsSuccess)
            {
                OtlpProfileExporterEventSource.Log.ExportFailed(this.transport.RequestUri, result);
                return ExportResult.Failure;
            }

            if (result.IsPartialSuccess)
            {
                OtlpProfileExporterEventSource.Log.ExportPartiallySucceeded(this.transport.RequestUri, result);
            }

            OtlpProfileExporterEventSource.Log.Exported(this.transport.RequestUri, batch.Profiles.Count, batch.SampleCount);
            return ExportResult.Success;
        }
        catch (Exception ex)
        {
            this.LastResult = OtlpExportResult.Failure(GrpcStatusCode.Internal, ex.Message);
            OtlpProfileExporterEventSource.Log.ExportThrew(this.transport.RequestUri, ex);
            return ExportResult.Failure;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            this.transport.Dispose();
        }

        base.Dispose(disposing);
    }

    private static OtlpProfileTransport CreateTransport(OtlpProfileExporterSettings settings, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Protocol == OtlpProfileExportProtocol.Grpc
            ? new GrpcTransport(settings.Endpoint, settings.Timeout, settings.Headers, handler)
            : new OtlpHttpProtobufTransport(settings.Endpoint, settings.Timeout, settings.Headers, handler);
    }
}
