using System.Collections.Concurrent;
using OpenTelemetry.Exporter;

namespace RateLimiterSync;

/// <summary>
/// Counts the export requests the OpenTelemetry trace and metric exporters make, per signal and outcome, by
/// giving them an <see cref="HttpClient"/> whose handler looks at each call: the SDK keeps no such count itself.
/// "Accepted" means an HTTP success; over gRPC a refusal can still hide in the trailers, and then the SDK
/// reports it as a warning, which <see cref="TelemetryDiagnostics"/> prints.
/// </summary>
internal sealed class OtlpRequestCounter
{
    private readonly ConcurrentDictionary<(string Signal, string Outcome), long> counts = new();

    /// <summary>Gets the requests made so far, per signal (<c>traces</c>, <c>metrics</c>) and outcome.</summary>
    public IReadOnlyDictionary<(string Signal, string Outcome), long> Counts => this.counts;

    public long Count(string signal, string outcome) => this.counts.GetValueOrDefault((signal, outcome));

    /// <summary>Makes the exporter send through a counting handler; everything else stays as the SDK sets it.</summary>
    public void Attach(OtlpExporterOptions options)
    {
        var timeout = TimeSpan.FromMilliseconds(options.TimeoutMilliseconds);
        options.HttpClientFactory = () => new HttpClient(new CountingHandler(this, new SocketsHttpHandler())) { Timeout = timeout };
    }

    private static string SignalOf(Uri? uri)
    {
        string path = uri?.AbsolutePath ?? string.Empty;
        return path.Contains("trace", StringComparison.OrdinalIgnoreCase) ? "traces"
            : path.Contains("metric", StringComparison.OrdinalIgnoreCase) ? "metrics"
            : "other";
    }

    private void Add(string signal, string outcome) => this.counts.AddOrUpdate((signal, outcome), 1, static (_, count) => count + 1);

    private sealed class CountingHandler(OtlpRequestCounter counter, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string signal = SignalOf(request.RequestUri);
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                counter.Add(signal, response.IsSuccessStatusCode ? "accepted" : "refused");
                return response;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                counter.Add(signal, "failed");
                throw;
            }
        }
    }
}
