using OpenTelemetry.Profiling.Exporter.Grpc;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// The outcome of one export call, as a gRPC status whatever the protocol (OTLP/HTTP failures are mapped to
/// the gRPC code of the same meaning). A partial success is a success that carries the rejected count.
/// </summary>
internal readonly record struct OtlpExportResult(
    GrpcStatusCode StatusCode,
    string? Message,
    long RejectedProfiles = 0,
    string? PartialSuccessMessage = null)
{
    public bool IsSuccess => this.StatusCode == GrpcStatusCode.Ok;

    public bool IsPartialSuccess => this.IsSuccess && (this.RejectedProfiles != 0 || !string.IsNullOrEmpty(this.PartialSuccessMessage));

    public static OtlpExportResult Failure(GrpcStatusCode statusCode, string message) => new(statusCode, message);

    /// <summary>Maps an HTTP status to a gRPC code as the gRPC spec's "HTTP to gRPC status code mapping" does.</summary>
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
