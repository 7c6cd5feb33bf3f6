using OpenTelemetry.Profiling.Export;
using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Profiling.Exporter.Delivery;
using OpenTelemetry.Profiling.Exporter.Diagnostics;
using OpenTelemetry.Profiling.Model;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Sends each <see cref="ProfileBatch"/> to an OTLP endpoint (a Collector, Pyroscope, ...). <see cref="Export"/>
/// serializes the batch (split into requests of at most <see cref="OtlpProfileExporterSettings.MaxRequestBytes"/>),
/// puts the requests in a bounded queue and returns: it never waits for the network and never throws. A
/// background sender delivers the queue with retries (<see cref="OtlpRetryPolicy"/>); when the queue is full the
/// oldest request is dropped and counted. Failures are reported through the <c>OpenTelemetry-Profiling-Exporter</c>
/// EventSource and the <c>OpenTelemetry.Profiling.Exporter</c> meter.
/// </summary>
internal sealed class OtlpProfileExporter : ProfileExporter
{
    private readonly OtlpProfileTransport transport;
    private readonly BoundedRequestQueue queue;
    private readonly OtlpBackgroundSender sender;
    private readonly OtlpProfileExporterMetrics metrics;
    private readonly HeaderValueRedactor redactor;
    private readonly string endpoint;
    private readonly int maxRequestBytes;
    private readonly Lock shutdownGate = new();
    private int shutDown;
    private bool shutdownResult;

    public OtlpProfileExporter(OtlpProfileExporterSettings settings, HttpMessageHandler? handler = null)
        : this(settings, CreateTransport(settings, handler), OtlpRetryPolicy.Default, OtlpDelaySource.System)
    {
    }

    internal OtlpProfileExporter(OtlpProfileExporterSettings settings, OtlpRetryPolicy retryPolicy, OtlpDelaySource time)
        : this(settings, CreateTransport(settings, null), retryPolicy, time)
    {
    }

    internal OtlpProfileExporter(OtlpProfileExporterSettings settings, OtlpProfileTransport transport, OtlpRetryPolicy retryPolicy, OtlpDelaySource time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(retryPolicy);
        ArgumentNullException.ThrowIfNull(time);
        this.transport = transport;
        this.maxRequestBytes = settings.MaxRequestBytes;
        this.endpoint = OtlpProfileExporterEventSource.Redact(transport.RequestUri);
        this.redactor = new HeaderValueRedactor(transport.Headers);
        this.queue = new BoundedRequestQueue(settings.MaxQueuedBatches, settings.MaxQueuedBytes);
        this.metrics = new OtlpProfileExporterMetrics(transport.RequestUri, () => this.queue.Count);
        this.sender = new OtlpBackgroundSender(this.queue, transport, retryPolicy, time, this.metrics, this.redactor);
        this.sender.Start();
    }

    // Exposed for tests that check which endpoint and timeout were resolved.
    internal OtlpProfileTransport Transport => this.transport;

    internal BoundedRequestQueue Queue => this.queue;

    internal OtlpProfileExporterMetrics Metrics => this.metrics;

    /// <summary>Gets the outcome of the last export call the sender made, for tests and diagnostics.</summary>
    internal OtlpExportResult? LastResult => this.sender.LastResult;

    /// <summary>Gets whether the sender thread has ended, for tests of a shutdown that did not wait for it.</summary>
    internal bool SenderHasEnded => this.sender.HasEnded;

    /// <summary>
    /// Queues <paramref name="batch"/> for delivery and returns at once: <see cref="ExportResult.Success"/> when it
    /// was queued (the oldest queued requests may have been dropped to make room), <see cref="ExportResult.Failure"/>
    /// after shutdown or when the batch could not be serialized.
    /// </summary>
    public override ExportResult Export(ProfileBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Volatile.Read(ref this.shutDown) != 0)
        {
            return ExportResult.Failure;
        }

        using var scope = SuppressInstrumentationScope.Begin();
        try
        {
            var requests = ProfileBatchSplitter.Encode(batch, this.maxRequestBytes);
            if (requests.Count > 1)
            {
                OtlpProfileExporterEventSource.Log.Split(this.endpoint, requests.Count, batch.SampleCount, this.maxRequestBytes);
            }

            foreach (var request in requests)
            {
                int dropped = this.queue.Enqueue(request);
                this.metrics.RecordDropped(dropped, OtlpProfileExporterMetrics.ReasonQueueFull);
                OtlpProfileExporterEventSource.Log.Dropped(this.endpoint, dropped, OtlpProfileExporterMetrics.ReasonQueueFull);
            }

            return ExportResult.Success;
        }
        catch (Exception ex)
        {
            OtlpProfileExporterEventSource.Log.Threw(this.endpoint, this.redactor.Redact(ex.ToString()));
            return ExportResult.Failure;
        }
    }

    /// <summary>
    /// Delivers what is queued within <paramref name="timeout"/>, then gives up on the rest (dropped and counted).
    /// Returns false when something was left undelivered. Later calls return the first call's result.
    /// </summary>
    public override bool Shutdown(TimeSpan timeout)
    {
        lock (this.shutdownGate)
        {
            if (Interlocked.Exchange(ref this.shutDown, 1) != 0)
            {
                return this.shutdownResult;
            }

            this.shutdownResult = this.sender.Shutdown(timeout);
            return this.shutdownResult;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Disposed without a shutdown: nothing more is sent.
            this.Shutdown(TimeSpan.Zero);
            this.metrics.Dispose();
            if (this.sender.HasEnded)
            {
                this.sender.Dispose();
                this.queue.Dispose();
                this.transport.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>The transport for <paramref name="settings"/>; <paramref name="handler"/> replaces the TLS-aware default.</summary>
    internal static OtlpProfileTransport CreateTransport(OtlpProfileExporterSettings settings, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Protocol == OtlpProfileExportProtocol.Grpc
            ? new Grpc.GrpcTransport(settings.Endpoint, settings.Timeout, settings.Headers, handler, settings.Compression, settings.Tls)
            : new OtlpHttpProtobufTransport(settings.Endpoint, settings.Timeout, settings.Headers, handler, settings.Compression, settings.Tls);
    }
}
