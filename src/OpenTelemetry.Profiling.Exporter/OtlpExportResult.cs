using OpenTelemetry.Profiling.Exporter.Grpc;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// The outcome of one export attempt, as a gRPC status whatever the protocol (OTLP/HTTP failures are mapped to
/// the gRPC code of the same meaning). A partial success is a success that carries the rejected count.
/// <see cref="RetryDelay"/> is the server's advice: gRPC <c>RetryInfo</c> or HTTP <c>Retry-After</c>.
/// </summary>
internal readonly record struct OtlpExportResult(
    GrpcStatusCode StatusCode,
    string? Message,
    long RejectedProfiles = 0,
    string? PartialSuccessMessage = null,
    TimeSpan? RetryDelay = null)
{
    public bool IsSuccess => this.StatusCode == GrpcStatusCode.Ok;

    public bool IsPartialSuccess => this.IsSuccess && (this.RejectedProfiles != 0 || !string.IsNullOrEmpty(this.PartialSuccessMessage));

    public static OtlpExportResult Failure(GrpcStatusCode statusCode, string message, TimeSpan? retryDelay = null) =>
        new(statusCode, message, RetryDelay: retryDelay);

    /// <summary>
    /// Maps an HTTP status to a gRPC code as the gRPC spec's "HTTP to gRPC status code mapping" does. The OTLP/HTTP
    /// retryable statuses (429, 502, 503, 504) all become <see cref="GrpcStatusCode.Unavailable"/>, which is
    /// retryable; everything else maps to a code that is not.
    /// </summary>
    public static GrpcStatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => GrpcStatusCode.Internal,
        401 => GrpcStatusCode.Unauthenticated,
        403 => GrpcStatusCode.PermissionDenied,
        404 => GrpcStatusCode.Unimplemented,
        429 or 502 or 503 or 504 => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };
}
