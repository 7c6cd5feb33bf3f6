namespace OpenTelemetry.Profiling.Exporter.Delivery;

/// <summary>
/// How one export call ended: the last attempt's result, how many attempts were made and, when the failure is
/// worth trying again later, how long to wait first (<see cref="RetryAfter"/> is null otherwise).
/// </summary>
internal readonly record struct DeliveryOutcome(OtlpExportResult Result, int Attempts, TimeSpan? RetryAfter)
{
    public bool ShouldRetryLater => !this.Result.IsSuccess && this.RetryAfter is not null;
}
