namespace OpenTelemetry.Profiling.Exporter;

/// <summary>The OTLP transport used to send profiles.</summary>
public enum OtlpProfileExportProtocol
{
    /// <summary>OTLP over gRPC (HTTP/2), environment value <c>grpc</c>. Default port 4317.</summary>
    Grpc = 0,

    /// <summary>OTLP over HTTP with binary protobuf bodies, environment value <c>http/protobuf</c>. Default port 4318.</summary>
    HttpProtobuf = 1,
}
