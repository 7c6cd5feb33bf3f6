namespace OpenTelemetry.Profiling.Exporter;

/// <summary>How request bodies are compressed on the wire.</summary>
public enum OtlpProfileExportCompression
{
    /// <summary>No compression, environment value <c>none</c>.</summary>
    None = 0,

    /// <summary>
    /// gzip, environment value <c>gzip</c>: gRPC sends <c>grpc-encoding: gzip</c> and sets the compressed flag of
    /// the message frame; OTLP/HTTP sends <c>Content-Encoding: gzip</c>.
    /// </summary>
    Gzip = 1,
}
