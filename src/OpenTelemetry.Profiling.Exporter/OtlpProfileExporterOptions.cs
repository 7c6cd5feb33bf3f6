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

    /// <summary>The default bound of the export queue, in batches.</summary>
    public const int DefaultMaxQueuedBatches = 16;

    /// <summary>The default bound of the export queue, in bytes of serialized requests: 32 MiB.</summary>
    public const int DefaultMaxQueuedBytes = 32 * 1024 * 1024;

    /// <summary>
    /// The default largest request, in bytes before compression: 4 MiB, the default receive limit of gRPC servers
    /// (the Collector's OTLP gRPC receiver among them).
    /// </summary>
    public const int DefaultMaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>The smallest <see cref="MaxRequestBytes"/> accepted: 16 KiB.</summary>
    public const int MinMaxRequestBytes = 16 * 1024;

    /// <summary>The largest <see cref="MaxRequestBytes"/> accepted: 64 MiB, what OTLP servers must accept.</summary>
    public const int MaxMaxRequestBytes = 64 * 1024 * 1024;

    private Uri? endpoint;
    private OtlpProfileExportProtocol? protocol;
    private int? timeoutMilliseconds;
    private string? headers;
    private OtlpProfileExportCompression? compression;
    private string? certificateFilePath;
    private string? clientCertificateFilePath;
    private string? clientKeyFilePath;
    private int maxQueuedBatches = DefaultMaxQueuedBatches;
    private int maxQueuedBytes = DefaultMaxQueuedBytes;
    private int maxRequestBytes = DefaultMaxRequestBytes;

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

    /// <summary>
    /// Gets or sets the compression of request bodies. When not set: <c>OTEL_EXPORTER_OTLP_PROFILES_COMPRESSION</c>,
    /// else <c>OTEL_EXPORTER_OTLP_COMPRESSION</c> (<c>gzip</c> or <c>none</c>), else
    /// <see cref="OtlpProfileExportCompression.None"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined compression.</exception>
    public OtlpProfileExportCompression Compression
    {
        get => this.compression ?? OtlpProfileExportCompression.None;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(this.Compression), value, $"Unknown {nameof(this.Compression)}.");
            }

            this.compression = value;
        }
    }

    /// <summary>
    /// Gets or sets the path of a PEM file with the certificates that a TLS server's chain must end in; when set,
    /// the system's root certificates are not trusted for this exporter. When not set:
    /// <c>OTEL_EXPORTER_OTLP_PROFILES_CERTIFICATE</c>, else <c>OTEL_EXPORTER_OTLP_CERTIFICATE</c>, else the system's
    /// trusted roots.
    /// </summary>
    /// <exception cref="ArgumentException">The file does not exist or holds no PEM certificate.</exception>
    public string? CertificateFilePath
    {
        get => this.certificateFilePath;
        set
        {
            if (value is not null && !OtlpTlsSettings.TryLoadTrustedCertificates(value, out _, out string? error))
            {
                throw new ArgumentException($"Invalid {nameof(this.CertificateFilePath)}: {error}.", nameof(this.CertificateFilePath));
            }

            this.certificateFilePath = value;
        }
    }

    /// <summary>
    /// Gets or sets the path of the PEM client certificate for mutual TLS; goes with <see cref="ClientKeyFilePath"/>.
    /// When not set: <c>OTEL_EXPORTER_OTLP_PROFILES_CLIENT_CERTIFICATE</c>, else
    /// <c>OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE</c>, else no client certificate.
    /// </summary>
    /// <exception cref="ArgumentException">The file does not exist.</exception>
    public string? ClientCertificateFilePath
    {
        get => this.clientCertificateFilePath;
        set
        {
            if (value is not null && !OtlpTlsSettings.FileExists(value, out string? error))
            {
                throw new ArgumentException($"Invalid {nameof(this.ClientCertificateFilePath)}: {error}.", nameof(this.ClientCertificateFilePath));
            }

            this.clientCertificateFilePath = value;
        }
    }

    /// <summary>
    /// Gets or sets the path of the PEM private key of <see cref="ClientCertificateFilePath"/>. When not set:
    /// <c>OTEL_EXPORTER_OTLP_PROFILES_CLIENT_KEY</c>, else <c>OTEL_EXPORTER_OTLP_CLIENT_KEY</c>, else none. The pair is
    /// loaded when the exporter is created; a pair that does not match throws <see cref="ArgumentException"/> then.
    /// </summary>
    /// <exception cref="ArgumentException">The file does not exist.</exception>
    public string? ClientKeyFilePath
    {
        get => this.clientKeyFilePath;
        set
        {
            if (value is not null && !OtlpTlsSettings.FileExists(value, out string? error))
            {
                throw new ArgumentException($"Invalid {nameof(this.ClientKeyFilePath)}: {error}.", nameof(this.ClientKeyFilePath));
            }

            this.clientKeyFilePath = value;
        }
    }

    /// <summary>
    /// Gets or sets how many requests may wait for the network; at least 1, default 16. The profiler never waits
    /// for the exporter: when the queue is full the oldest request is dropped (and counted).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int MaxQueuedBatches
    {
        get => this.maxQueuedBatches;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(this.MaxQueuedBatches));
            this.maxQueuedBatches = value;
        }
    }

    /// <summary>
    /// Gets or sets how many bytes of serialized requests may wait for the network; at least 1, default 32 MiB
    /// (33554432). The newest request is always kept, even when it alone is larger.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int MaxQueuedBytes
    {
        get => this.maxQueuedBytes;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(this.MaxQueuedBytes));
            this.maxQueuedBytes = value;
        }
    }

    /// <summary>
    /// Gets or sets the largest request sent, in bytes before compression; between 16 KiB and 64 MiB, default 4 MiB
    /// (4194304), the default receive limit of gRPC servers. A larger batch is split by samples into several
    /// requests, each with its own dictionary; a single sample too large on its own is sent as it is.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 16 KiB to 64 MiB.</exception>
    public int MaxRequestBytes
    {
        get => this.maxRequestBytes;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, MinMaxRequestBytes, nameof(this.MaxRequestBytes));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxMaxRequestBytes, nameof(this.MaxRequestBytes));
            this.maxRequestBytes = value;
        }
    }

    internal OtlpProfileExportCompression? CompressionSetInCode => this.compression;

    internal Uri? EndpointSetInCode => this.endpoint;

    internal OtlpProfileExportProtocol? ProtocolSetInCode => this.protocol;

    internal int? TimeoutSetInCode => this.timeoutMilliseconds;
}
