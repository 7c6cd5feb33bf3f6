using OpenTelemetry.Profiling.Exporter.Grpc;

namespace OpenTelemetry.Profiling.Exporter.Delivery;

/// <summary>
/// When and how soon a failed export is tried again, after the OTLP specification
/// (https://opentelemetry.io/docs/specs/otlp/#failures): only retryable outcomes are retried, with exponential
/// backoff and jitter, at most <see cref="MaxAttempts"/> times and never past the export call's deadline. A
/// server's own advice (gRPC <c>RetryInfo</c>, HTTP <c>Retry-After</c>) replaces the backoff, capped at
/// <see cref="MaxServerDelay"/>.
/// </summary>
internal sealed record OtlpRetryPolicy
{
    public static OtlpRetryPolicy Default { get; } = new();

    /// <summary>Gets the attempts one export call makes at most, the first included. Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Gets the backoff ceiling before the first retry. Default 1 s.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the largest backoff ceiling. Default 5 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the growth of the backoff ceiling per retry. Default 1.5.</summary>
    public double BackoffMultiplier { get; init; } = 1.5;

    /// <summary>Gets the longest server-advised delay honoured; longer advice is cut to this. Default 30 s.</summary>
    public TimeSpan MaxServerDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The OTLP retryable outcomes: gRPC CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE,
    /// DATA_LOSS, and RESOURCE_EXHAUSTED only when the server sent RetryInfo. HTTP 429, 502, 503 and 504 and
    /// connection failures arrive here as UNAVAILABLE (see <see cref="OtlpExportResult.FromHttpStatus"/>).
    /// </summary>
    public static bool IsRetryable(in OtlpExportResult result) => result.StatusCode switch
    {
        GrpcStatusCode.Cancelled or GrpcStatusCode.DeadlineExceeded or GrpcStatusCode.Aborted
            or GrpcStatusCode.OutOfRange or GrpcStatusCode.Unavailable or GrpcStatusCode.DataLoss => true,
        GrpcStatusCode.ResourceExhausted => result.RetryDelay is not null,
        _ => false,
    };

    /// <summary>
    /// The backoff before retry number <paramref name="retry"/> (1 for the first): a ceiling of
    /// <see cref="InitialBackoff"/> x <see cref="BackoffMultiplier"/>^(retry-1), at most <see cref="MaxBackoff"/>,
    /// of which a random half is taken off ("equal jitter": between half the ceiling and the ceiling), so
    /// exporters that failed together do not retry together.
    /// </summary>
    /// <param name="retry">The retry number, from 1.</param>
    /// <param name="random">A uniform random number in [0, 1].</param>
    public TimeSpan Backoff(int retry, double random)
    {
        double ceiling = Math.Min(
            this.InitialBackoff.TotalMilliseconds * Math.Pow(this.BackoffMultiplier, Math.Max(0, retry - 1)),
            this.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (0.5 * Math.Clamp(random, 0, 1))));
    }

    /// <summary>The server's advice if it gave one (capped), else the backoff.</summary>
    public TimeSpan NextDelay(in OtlpExportResult result, int retry, double random) =>
        result.RetryDelay is { } advised
            ? (advised > this.MaxServerDelay ? this.MaxServerDelay : advised)
            : this.Backoff(retry, random);
}
