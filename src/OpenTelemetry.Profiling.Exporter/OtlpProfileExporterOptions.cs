using OpenTelemetry.Profiling.Exporter.Configuration;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Settings of the OTLP profile exporter. A setting made in code wins over
/// <c>OTEL_EXPORTER_OTLP_PROFILES_*</c>, which wins over <c>OTEL_EXPORTER_OTLP_*</c>, which wins over the
/// default. Values set in code are validated at once; bad environment values are reported through the
/// <c>OpenTelemetry-Profiling-Exporter</c> EventSource and ignored.
/// </summary>
public sealed class OtlpProfileExporterOptions
{
    /// <summary>The default gRPC endpoint.</summary>
    public static readonly Uri DefaultGrpcEndpoint = new("http://localhost:4317");

    /// <summary>The default OTLP/HTTP endpoint, signal path included.</summary>
    public static readonly Uri DefaultHttpEndpoint = new("http://localhost:4318/v1development/profiles");

    /// <summary>The default per-export timeout in milliseconds.</summary>
    public const int DefaultTimeoutMilliseconds = 10_000;

    private Uri? endpoint;
    private OtlpProfileExportProtocol? protocol;
    private int? timeoutMilliseconds;
    private string? headers;

    /// <summary>
    /// Gets or sets where profiles are sent, an absolute <c>http</c> or <c>https</c> URI. For gRPC the service
    /// path is appended to it (<c>http://</c> is HTTP/2 without TLS, <c>https://</c> is HTTP/2 over TLS); for
    /// HTTP/protobuf it is used as is, so include the signal path (<c>/v1development/profiles</c>).
    /// When not set: <c>OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT</c> (used as is), else
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (for HTTP/protobuf with <c>/v1development/profiles</c> appended), else
    /// <see cref="DefaultGrpcEndpoint"/> (<c>http://localhost:4317</c>) or <see cref="DefaultHttpEndpoint"/>
    /// (<c>http://localhost:4318/v1development/profiles</c>) by protocol. The getter shows the code value or
    /// that protocol's default.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not an absolute http or https URI.</exception>
    public Uri Endpoint
    {
        get => this.endpoint ?? (this.Protocol == OtlpProfileExportProtocol.Grpc ? DefaultGrpcEndpoint : DefaultHttpEndpoint);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!OtlpProfileSettingParser.IsValidEndpoint(value, out string? error))
            {
                throw new ArgumentException($"Invalid {nameof(this.Endpoint)}: {error}.", nameof(this.Endpoint));
            }

            this.endpoint = value;
        }
    }

    /// <summary>
    /// Gets or sets the transport. When not set: <c>OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL</c>, else
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (<c>grpc</c> or <c>http/protobuf</c>), else
    /// <see cref="OtlpProfileExportProtocol.Grpc"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined protocol.</exception>
    public OtlpProfileExportProtocol Protocol
    {
        get => this.protocol ?? OtlpProfileExportProtocol.Grpc;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(this.Protocol), value, $"Unknown {nameof(this.Protocol)}.");
            }

            this.protocol = value;
        }
    }

    /// <summary>
    /// Gets or sets the longest time one export may take, in milliseconds; greater than zero. When not set:
    /// <c>OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT</c>, else <c>OTEL_EXPORTER_OTLP_TIMEOUT</c>, else 10000 (10 s).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int TimeoutMilliseconds
    {
        get => this.timeoutMilliseconds ?? DefaultTimeoutMilliseconds;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(this.TimeoutMilliseconds));
            this.timeoutMilliseconds = value;
        }
    }

    /// <summary>
    /// Gets or sets headers added to every export, as <c>name1=value1,name2=value2</c> (values may be
    /// percent-encoded), for example an authorization token. When not set:
    /// <c>OTEL_EXPORTER_OTLP_PROFILES_HEADERS</c>, else <c>OTEL_EXPORTER_OTLP_HEADERS</c>, else none.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is not a <c>name=value</c> pair with a valid header name.</exception>
    public string? Headers
    {
        get => this.headers;
        set
        {
            if (!OtlpProfileSettingParser.TryParseHeaders(value, out _, out string? error))
            {
                throw new ArgumentException($"Invalid {nameof(this.Headers)}: {error}.", nameof(this.Headers));
            }

            this.headers = value;
        }
    }

    internal Uri? EndpointSetInCode => this.endpoint;

    internal OtlpProfileExportProtocol? ProtocolSetInCode => this.protocol;

    internal int? TimeoutSetInCode => this.timeoutMilliseconds;
}
