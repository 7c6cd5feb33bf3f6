using OpenTelemetry.Exporter;
using OpenTelemetry.Profiling.Exporter;
using OpenTelemetry.Profiling.Receiver;

namespace RateLimiterSync;

/// <summary>
/// Where traces, metrics and profiles go, decided once for all three: <c>--endpoint</c>, else the standard
/// <c>OTEL_EXPORTER_OTLP_*</c> environment variables (the exporters read them themselves), else an embedded
/// OTLP receiver on a free loopback port, so the example shows its profiles with nothing else installed.
/// </summary>
internal sealed class TelemetryDestination : IAsyncDisposable
{
    private static readonly string[] EndpointVariables = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT"];

    private TelemetryDestination(string description, Uri? endpoint, LocalOtlpReceiver? receiver)
    {
        this.Description = description;
        this.Endpoint = endpoint;
        this.Receiver = receiver;
    }

    public string Description { get; }

    /// <summary>Gets the gRPC endpoint set in code, or <see langword="null"/> when the environment decides.</summary>
    public Uri? Endpoint { get; }

    /// <summary>Gets the embedded receiver, when no endpoint was configured.</summary>
    public LocalOtlpReceiver? Receiver { get; }

    public static async Task<TelemetryDestination> CreateAsync(Uri? endpoint)
    {
        if (endpoint is not null)
        {
            return new TelemetryDestination($"{endpoint} (OTLP/gRPC, from --endpoint)", endpoint, receiver: null);
        }

        var configured = EndpointVariables
            .Select(name => (Name: name, Value: Environment.GetEnvironmentVariable(name)))
            .Where(variable => !string.IsNullOrWhiteSpace(variable.Value))
            .Select(variable => $"{variable.Name}={variable.Value}")
            .ToList();
        if (configured.Count > 0)
        {
            return new TelemetryDestination($"from the environment ({string.Join(", ", configured)})", endpoint: null, receiver: null);
        }

        var receiver = await LocalOtlpReceiver.StartAsync();
        return new TelemetryDestination($"embedded OTLP receiver at {receiver.GrpcEndpoint} (OTLP/gRPC)", receiver.GrpcEndpoint, receiver);
    }

    /// <summary>Points a trace or metric exporter at the destination.</summary>
    public void Apply(OtlpExporterOptions options)
    {
        if (this.Endpoint is not null)
        {
            options.Endpoint = this.Endpoint;
            options.Protocol = OtlpExportProtocol.Grpc;
        }
    }

    /// <summary>Points the profile exporter at the destination.</summary>
    public void Apply(OtlpProfileExporterOptions options)
    {
        if (this.Endpoint is not null)
        {
            options.Endpoint = this.Endpoint;
            options.Protocol = OtlpProfileExportProtocol.Grpc;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (this.Receiver is not null)
        {
            await this.Receiver.DisposeAsync();
        }
    }
}
