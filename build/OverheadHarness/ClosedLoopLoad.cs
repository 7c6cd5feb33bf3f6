using System.Diagnostics;
using System.Globalization;
using RateLimiterSync;

namespace OverheadHarness;

/// <summary>
/// Closed-loop clients over real loopback HTTP: each sends its next request as soon as the previous answer
/// arrived, so the process runs as fast as it can and throughput is the measure of overhead. The request mix is
/// the showcase's: two greedy clients on one free-tier key (many 429s), the rest rotating over the hot keys,
/// every tenth request a quota lookup.
/// </summary>
internal sealed class ClosedLoopLoad : IWorkload
{
    private const int PoliteKeyCount = 15;

    private readonly Uri baseAddress;
    private readonly int clients;
    private long completed;
    private long failed;

    public ClosedLoopLoad(Uri baseAddress, int clients, LatencyRecorder latencies)
    {
        this.baseAddress = baseAddress;
        this.clients = clients;
        this.Latencies = latencies;
    }

    public LatencyRecorder Latencies { get; }

    /// <summary>Gets the requests answered so far (any status).</summary>
    public long Completed => Interlocked.Read(ref this.completed);

    /// <summary>Gets the requests that got no answer or a status other than 2xx and 429.</summary>
    public long Failed => Interlocked.Read(ref this.failed);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = this.baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await Task.WhenAll(Enumerable.Range(0, this.clients).Select(id => Task.Run(() => this.RunClientAsync(client, id, cancellationToken), CancellationToken.None)));
    }

    private async Task RunClientAsync(HttpClient client, int clientId, CancellationToken cancellationToken)
    {
        long request = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string key = clientId < 2 ? LimitStore.KeyName(0) : LimitStore.KeyName(1 + (int)((clientId + request) % PoliteKeyCount));
            string path = request % 10 == 9
                ? "/api/quota/" + key
                : "/api/check?input=order-" + request.ToString(CultureInfo.InvariantCulture);
            using var message = new HttpRequestMessage(HttpMethod.Get, path);
            message.Headers.Add(RateLimitingMiddleware.ApiKeyHeader, key);
            long start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.SendAsync(message, cancellationToken);
                if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref this.failed);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref this.failed);
            }

            this.Latencies.Record(Stopwatch.GetTimestamp() - start);
            Interlocked.Increment(ref this.completed);
            request++;
        }
    }
}
