namespace OpenTelemetry.Profiling.Exporter.Configuration;

/// <summary>
/// The environment variables the OTLP profile exporter reads, as defined by the OpenTelemetry specification,
/// https://opentelemetry.io/docs/specs/otel/protocol/exporter/ : each generic <c>OTEL_EXPORTER_OTLP_*</c>
/// setting has a <c>OTEL_EXPORTER_OTLP_PROFILES_*</c> variant that wins over it.
/// </summary>
internal static class OtlpProfileEnvironmentVariables
{
    public const string Endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ProfilesEndpoint = "OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT";
    public const string Protocol = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string ProfilesProtocol = "OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL";
    public const string Timeout = "OTEL_EXPORTER_OTLP_TIMEOUT";
    public const string ProfilesTimeout = "OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT";
    public const string Headers = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string ProfilesHeaders = "OTEL_EXPORTER_OTLP_PROFILES_HEADERS";
    public const string Compression = "OTEL_EXPORTER_OTLP_COMPRESSION";
    public const string ProfilesCompression = "OTEL_EXPORTER_OTLP_PROFILES_COMPRESSION";
    public const string Certificate = "OTEL_EXPORTER_OTLP_CERTIFICATE";
    public const string ProfilesCertificate = "OTEL_EXPORTER_OTLP_PROFILES_CERTIFICATE";
    public const string ClientKey = "OTEL_EXPORTER_OTLP_CLIENT_KEY";
    public const string ProfilesClientKey = "OTEL_EXPORTER_OTLP_PROFILES_CLIENT_KEY";
    public const string ClientCertificate = "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE";
    public const string ProfilesClientCertificate = "OTEL_EXPORTER_OTLP_PROFILES_CLIENT_CERTIFICATE";
}
