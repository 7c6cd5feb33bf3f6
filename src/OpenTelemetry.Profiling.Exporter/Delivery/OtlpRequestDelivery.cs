namespace OpenTelemetry.Profiling.Exporter.Delivery;

/// <summary>
/// One export call: sends a request, and retries it on retryable failures as <see cref="OtlpRetryPolicy"/>
/// says, all within the transport's timeout, which is the call's deadline (each attempt gets what is left of
/// it). Never throws for network outcomes.
/// </summary>
internal sealed class OtlpRequestDelivery
{
    private readonly OtlpProfileTransport transport;
    private readonly OtlpRetryPolicy policy;
    private readonly OtlpDelaySource time;
    private readonly Action<OtlpExportResult, int, TimeSpan>? onRetry;

    /// <param name="transport">Sends one attempt.</param>
    /// <param name="policy">The retry rules.</param>
    /// <param name="time">Clock, delay and jitter.</param>
    /// <param name="onRetry">Called before each retry with the failed result, its attempt number and the delay.</param>
    public OtlpRequestDelivery(OtlpProfileTransport transport, OtlpRetryPolicy policy, OtlpDelaySource time, Action<OtlpExportResult, int, TimeSpan>? onRetry = null)
    {
        this.transport = transport;
        this.policy = policy;
        this.time = time;
        this.onRetry = onRetry;
    }

    public OtlpRetryPolicy Policy => this.policy;

    public async Task<DeliveryOutcome> DeliverAsync(EncodedRequest request, CancellationToken cancellationToken)
    {
        var deadline = this.transport.Timeout;
        long start = this.time.Clock.GetTimestamp();
        for (int attempt = 1; ; attempt++)
        {
            var remaining = deadline - this.time.Clock.GetElapsedTime(start);
            var result = await this.transport.ExportAsync(request, remaining, cancellationToken).ConfigureAwait(false);
            if (result.IsSuccess || cancellationToken.IsCancellationRequested || !OtlpRetryPolicy.IsRetryable(result))
            {
                return new DeliveryOutcome(result, attempt, null);
            }

            var delay = this.policy.NextDelay(result, attempt, this.time.Random());
            if (attempt >= this.policy.MaxAttempts || this.time.Clock.GetElapsedTime(start) + delay >= deadline)
            {
                // Out of attempts or time for this call: the request is worth another call after the delay.
                return new DeliveryOutcome(result, attempt, delay);
            }

            this.onRetry?.Invoke(result, attempt, delay);
            try
            {
                await this.time.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return new DeliveryOutcome(result, attempt, delay);
            }
        }
    }
}
