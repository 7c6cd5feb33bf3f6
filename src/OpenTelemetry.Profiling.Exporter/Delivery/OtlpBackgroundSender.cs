using OpenTelemetry.Profiling.Exporter.Diagnostics;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Exporter.Delivery;

/// <summary>
/// The one background thread that drains the queue, oldest request first. A delivered request leaves the
/// queue; a request refused for good (a non-retryable status) is dropped and counted as failed; a request
/// that met only retryable failures within its call's deadline goes back to the front of the queue and is
/// tried again after the advised delay, so export resumes by itself, in order, when the endpoint returns.
/// Runs as profiler work with instrumentation suppressed; catches everything.
/// </summary>
internal sealed class OtlpBackgroundSender : IDisposable
{
    /// <summary>How long <see cref="Shutdown"/> waits past its timeout for a cancelled send to unwind.</summary>
    /// <remarks>Shutdown therefore returns within its timeout plus this grace, whatever the collector does.</remarks>
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(1);

    private readonly BoundedRequestQueue queue;
    private readonly OtlpRequestDelivery delivery;
    private readonly OtlpDelaySource time;
    private readonly OtlpProfileExporterMetrics metrics;
    private readonly HeaderValueRedactor redactor;
    private readonly string endpoint;
    private readonly CancellationTokenSource stop = new();
    private Thread? thread;
    private readonly Lock resultGate = new();

    // Hands requests over between the thread and a Shutdown that stopped waiting for it, so each request is
    // delivered, refused or counted as dropped exactly once, however late a cancelled send unwinds.
    private readonly Lock handOffGate = new();
    private EncodedRequest? inFlight;
    private bool abandoned;
    private OtlpExportResult? lastResult;
    private volatile bool drainRequested;

    public OtlpBackgroundSender(
        BoundedRequestQueue queue,
        OtlpProfileTransport transport,
        OtlpRetryPolicy policy,
        OtlpDelaySource time,
        OtlpProfileExporterMetrics metrics,
        HeaderValueRedactor redactor)
    {
        this.queue = queue;
        this.time = time;
        this.metrics = metrics;
        this.redactor = redactor;
        this.endpoint = OtlpProfileExporterEventSource.Redact(transport.RequestUri);
        this.delivery = new OtlpRequestDelivery(transport, policy, time, this.OnRetry);
    }

    /// <summary>Gets the outcome of the last export call, for tests and diagnostics.</summary>
    public OtlpExportResult? LastResult
    {
        get
        {
            lock (this.resultGate)
            {
                return this.lastResult;
            }
        }
    }

    /// <summary>Starts the sender thread, a profiler thread (marked as the profiler's work from its first line).</summary>
    public void Start() => this.thread = ProfilerThread.Start("OtlpSender", static _ => { }, this.Run, "sender");

    /// <summary>
    /// Sends what is queued until the queue is empty or <paramref name="timeout"/> has passed, then abandons the
    /// send in flight and drops what is left, the abandoned request included, even when its thread has not yet
    /// unwound. Returns true when everything queued was delivered or refused.
    /// </summary>
    public bool Shutdown(TimeSpan timeout)
    {
        this.drainRequested = true;
        this.queue.Wake();
        if (timeout > TimeSpan.Zero)
        {
            // The thread ends by itself once the queue is empty; the cancellation bounds a collector that hangs.
            this.stop.CancelAfter(timeout);
        }
        else
        {
            this.stop.Cancel();
        }

        bool exited = this.thread?.Join(timeout + CancelGrace) ?? true;

        // A timer may fire late on a loaded machine; from here on the thread must see the cancellation.
        this.stop.Cancel();
        int left;
        lock (this.handOffGate)
        {
            this.abandoned = true;
            left = this.queue.Clear();
            if (this.inFlight is not null)
            {
                // Its send has not unwound yet; whatever it ends in, the request is counted here.
                this.inFlight = null;
                left++;
            }
        }

        this.RecordDropped(left, OtlpProfileExporterMetrics.ReasonShutdown);
        return exited && left == 0;
    }

    /// <summary>Releases the stop signal once the thread has ended; a thread still unwinding keeps it.</summary>
    public void Dispose()
    {
        if (this.thread is not { IsAlive: true })
        {
            this.stop.Dispose();
        }
    }

    /// <summary>Gets whether the sender thread has ended.</summary>
    public bool HasEnded => this.thread is not { IsAlive: true };

    private void Run()
    {
        // The sender's own CPU and HTTP calls are the profiler's, not the application's (ProfilerThread marks it).
        using var suppress = SuppressInstrumentationScope.Begin();
        var token = this.stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (!this.queue.TryDequeue(out var request))
                {
                    if (this.drainRequested)
                    {
                        return;
                    }

                    this.queue.WaitForRequest(token);
                    continue;
                }

                if (this.TakeInFlight(request!))
                {
                    this.Send(request!, token);
                }
            }
            catch (Exception ex)
            {
                OtlpProfileExporterEventSource.Log.Threw(this.endpoint, this.redactor.Redact(ex.ToString()));
                token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    private void Send(EncodedRequest request, CancellationToken token)
    {
        DeliveryOutcome outcome;
        try
        {
            outcome = this.delivery.DeliverAsync(request, token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not a network outcome: a bug or a broken handler. Trying again would fail again.
            OtlpProfileExporterEventSource.Log.Threw(this.endpoint, this.redactor.Redact(ex.ToString()));
            outcome = new DeliveryOutcome(OtlpExportResult.Failure(GrpcStatusCode.Internal, ex.Message), 1, null);
        }

        lock (this.resultGate)
        {
            this.lastResult = outcome.Result;
        }

        if (!this.SettleInFlight())
        {
            // Shutdown gave up on this request while it was being sent and has counted it as dropped; a
            // collector that answers after that may still have it, but the count is not revised.
            return;
        }

        var result = outcome.Result;
        if (result.IsSuccess)
        {
            this.metrics.RecordSucceeded(request.Message.Length, result.RejectedProfiles);
            if (result.IsPartialSuccess)
            {
                OtlpProfileExporterEventSource.Log.PartiallySucceeded(this.endpoint, result, this.redactor.Redact(result.PartialSuccessMessage));
            }

            OtlpProfileExporterEventSource.Log.Succeeded(this.endpoint, request.ProfileCount, request.SampleCount);
            return;
        }

        if (token.IsCancellationRequested)
        {
            // Shutting down: put it back so Shutdown counts it among the requests left behind.
            this.Requeue(request);
            return;
        }

        this.metrics.RecordFailed();
        OtlpProfileExporterEventSource.Log.Failed(this.endpoint, result, this.redactor.Redact(result.Message));
        if (!outcome.ShouldRetryLater)
        {
            return;
        }

        this.Requeue(request);
        var pause = outcome.RetryAfter!.Value;
        OtlpProfileExporterEventSource.Log.KeptForRetry(this.endpoint, this.queue.Count, pause);
        try
        {
            this.time.Delay(pause, token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Shutdown ran out of time.
        }
    }

    /// <summary>Marks <paramref name="request"/> as in flight; false (and counted as dropped) after Shutdown gave up.</summary>
    private bool TakeInFlight(EncodedRequest request)
    {
        lock (this.handOffGate)
        {
            if (!this.abandoned)
            {
                this.inFlight = request;
                return true;
            }
        }

        this.RecordDropped(1, OtlpProfileExporterMetrics.ReasonShutdown);
        return false;
    }

    /// <summary>Ends the in-flight request's send; false when Shutdown has already counted it as dropped.</summary>
    private bool SettleInFlight()
    {
        lock (this.handOffGate)
        {
            if (this.inFlight is null)
            {
                return false;
            }

            this.inFlight = null;
            return true;
        }
    }

    /// <summary>Puts a request back first in line, or counts it as dropped once Shutdown has given up.</summary>
    private void Requeue(EncodedRequest request)
    {
        int dropped;
        string reason;
        lock (this.handOffGate)
        {
            (dropped, reason) = this.abandoned
                ? (1, OtlpProfileExporterMetrics.ReasonShutdown)
                : (this.queue.ReturnToFront(request), OtlpProfileExporterMetrics.ReasonQueueFull);
        }

        this.RecordDropped(dropped, reason);
    }

    private void RecordDropped(int count, string reason)
    {
        this.metrics.RecordDropped(count, reason);
        OtlpProfileExporterEventSource.Log.Dropped(this.endpoint, count, reason);
    }

    private void OnRetry(OtlpExportResult result, int attempt, TimeSpan delay)
    {
        this.metrics.RecordRetried();
        OtlpProfileExporterEventSource.Log.Retrying(this.endpoint, attempt, result, delay, this.redactor.Redact(result.Message));
    }
}
