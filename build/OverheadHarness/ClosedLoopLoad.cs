using System.Diagnostics;
using System.Globalization;
using RateLimiterSync;

namespace OverheadHarness;

/// <summary>
/// Closed-loop clients over real loopback HTTP: each sends its next request as soon as the previous answer
/// arrived, so the process runs as fast as it can and throughput is the measure of overhead. Every tenth request
/// is a quota lookup. The rest go, in the "work" mix, to the standard-tier keys in rotation, each client from its
/// own offset, so no key nears its quota and every check does the endpoint's work; in the showcase's mix, two
/// greedy clients send on one free-tier key (many 429s) and the rest rotate over the hot keys.
/// </summary>
internal sealed class ClosedLoopLoad : IWorkload
{
    private const int PoliteKeyCount = 15;

    private readonly Uri baseAddress;
    private readonly int clients;
    private readonly string[]? workKeys;
    private long completed;
    private long failed;

    /// <param name="baseAddress">The showcase's address.</param>
    /// <param name="clients">The number of closed-loop clients.</param>
    /// <param name="keyCount">The showcase's key count, for the work mix; null for the showcase's own mix.</param>
    /// <param name="latencies">Where each request's latency goes.</param>
    public ClosedLoopLoad(Uri baseAddress, int clients, int? keyCount, LatencyRecorder latencies)
    {
        this.baseAddress = baseAddress;
        this.clients = clients;
        this.workKeys = keyCount is int count
            ? [.. Enumerable.Range(0, count).Where(index => QuotaTier.ForKeyIndex(index) == QuotaTier.Standard).Select(LimitStore.KeyName)]
            : null;
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
            string key = this.workKeys is { } keys
                ? keys[(int)((((long)clientId * keys.Length / this.clients) + request) % keys.Length)]
                : clientId < 2 ? LimitStore.KeyName(0) : LimitStore.KeyName(1 + (int)((clientId + request) % PoliteKeyCount));
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
