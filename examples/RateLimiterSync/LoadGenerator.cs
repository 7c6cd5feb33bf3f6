using System.Globalization;
using System.Net;

namespace RateLimiterSync;

/// <summary>
/// Drives the service over real HTTP on its loopback port, like outside clients would: several concurrent
/// clients, each at a steady pace, spread over a handful of tenants. Two clients share one free-tier key and
/// go well past its quota, so the 429 path is exercised too.
/// </summary>
internal sealed class LoadGenerator
{
    // Tenants the well-behaved clients rotate through: the hot keys the simulated peers use as well.
    private const int PoliteKeyCount = 15;

    private readonly Uri baseAddress;
    private readonly int clients;
    private readonly TimeSpan period;

    public LoadGenerator(Uri baseAddress, int clients, int requestsPerSecond)
    {
        this.baseAddress = baseAddress;
        this.clients = clients;
        this.period = TimeSpan.FromSeconds(clients / (double)requestsPerSecond);
    }

    public LoadStatistics Statistics { get; } = new();

    /// <summary>Generates load until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <returns>A task that completes once every client has stopped.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = this.baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await Task.WhenAll(Enumerable.Range(0, this.clients).Select(id => this.RunClientAsync(client, id, cancellationToken)));
    }

    private static string KeyFor(int clientId, long request) => clientId < 2
        ? LimitStore.KeyName(0) // the greedy free-tier tenant
        : LimitStore.KeyName(1 + (int)((clientId + request) % PoliteKeyCount));

    private async Task RunClientAsync(HttpClient client, int clientId, CancellationToken cancellationToken)
    {
        // Start the clients spread over one period rather than all in the same millisecond. A timer cannot tick
        // more often than once a millisecond: a client asked to go faster sends back to back.
        using var timer = this.period >= TimeSpan.FromMilliseconds(1) ? new PeriodicTimer(this.period) : null;
        try
        {
            await Task.Delay(this.period * clientId / this.clients, cancellationToken);
            long request = 0;
            do
            {
                string key = KeyFor(clientId, request);
                string path = request % 10 == 9
                    ? "/api/quota/" + key
                    : "/api/check?input=order-" + request.ToString(CultureInfo.InvariantCulture);
                await this.SendAsync(client, path, key, cancellationToken);
                request++;
            }
            while (timer is null ? !cancellationToken.IsCancellationRequested : await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private async Task SendAsync(HttpClient client, string path, string key, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        message.Headers.Add(RateLimitingMiddleware.ApiKeyHeader, key);
        try
        {
            using var response = await client.SendAsync(message, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                this.Statistics.RecordOk();
            }
            else if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                this.Statistics.RecordLimited();
            }
            else
            {
                this.Statistics.RecordFailed();
            }
        }
        catch (HttpRequestException)
        {
            this.Statistics.RecordFailed();
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            this.Statistics.RecordFailed(); // the client timeout, not the end of the run
        }
    }
}
