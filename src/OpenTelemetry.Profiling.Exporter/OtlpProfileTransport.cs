using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Profiling.Exporter.Delivery;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Sends one serialized <see cref="ExportProfilesServiceRequest"/> once and turns every outcome, including
/// connection failures and timeouts, into an <see cref="OtlpExportResult"/>. Never throws to the caller and
/// never retries: retries are <see cref="OtlpRequestDelivery"/>'s business.
/// </summary>
internal abstract class OtlpProfileTransport : IDisposable
{
    /// <summary>Responses larger than this are not read: an export response is a few bytes.</summary>
    protected const int MaxResponseBytes = 4 * 1024 * 1024;

    private readonly HttpClient httpClient;

    protected OtlpProfileTransport(
        Uri requestUri,
        TimeSpan timeout,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        HttpMessageHandler? handler,
        OtlpProfileExportCompression compression = OtlpProfileExportCompression.None,
        OtlpTlsSettings? tls = null)
    {
        ArgumentNullException.ThrowIfNull(requestUri);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        this.RequestUri = requestUri;
        this.Timeout = timeout;
        this.Headers = headers;
        this.Compression = compression;

        // Each attempt's timeout is ours (a linked token), so the client's own is off.
        this.httpClient = new HttpClient(handler ?? CreateDefaultHandler(tls), disposeHandler: handler is null)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
    }

    public Uri RequestUri { get; }

    /// <summary>Gets the time one export call may take, its retries included.</summary>
    public TimeSpan Timeout { get; }

    public OtlpProfileExportCompression Compression { get; }

    /// <summary>Gets the header values, which diagnostics must never show.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Serializes and sends <paramref name="request"/> once, within <see cref="Timeout"/>.</summary>
    public Task<OtlpExportResult> ExportAsync(ExportProfilesServiceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return this.ExportAsync(new EncodedRequest(request.ToByteArray(), 0, 0), this.Timeout, cancellationToken);
    }

    /// <summary>Sends <paramref name="request"/> once; the attempt is abandoned after <paramref name="attemptTimeout"/>.</summary>
    public async Task<OtlpExportResult> ExportAsync(EncodedRequest request, TimeSpan attemptTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(attemptTimeout > TimeSpan.Zero ? attemptTimeout : TimeSpan.FromMilliseconds(1));
        try
        {
            bool gzip = this.Compression == OtlpProfileExportCompression.Gzip;
            using var httpRequest = this.CreateRequest(gzip ? request.GetGzip() : request.Message, gzip, attemptTimeout);
            foreach (var header in this.Headers)
            {
                httpRequest.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            using var response = await this.httpClient
                .SendAsync(httpRequest, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token)
                .ConfigureAwait(false);
            return await this.ReadResponseAsync(response, timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return OtlpExportResult.Failure(GrpcStatusCode.Cancelled, "The export was cancelled.");
        }
        catch (OperationCanceledException)
        {
            return OtlpExportResult.Failure(
                GrpcStatusCode.DeadlineExceeded,
                $"No response within {attemptTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms.");
        }
        catch (HttpRequestException ex)
        {
            // Connection refused, reset, TLS failure, proxy errors: the collector may well be back soon.
            return OtlpExportResult.Failure(GrpcStatusCode.Unavailable, ex.Message);
        }
        catch (IOException ex)
        {
            // The connection broke while the response was read.
            return OtlpExportResult.Failure(GrpcStatusCode.Unavailable, ex.Message);
        }
        catch (InvalidDataException ex)
        {
            return OtlpExportResult.Failure(GrpcStatusCode.Internal, ex.Message);
        }
    }

    public void Dispose()
    {
        this.Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Builds the HTTP request for one attempt; <paramref name="payload"/> is already compressed if asked.</summary>
    protected abstract HttpRequestMessage CreateRequest(byte[] payload, bool compressed, TimeSpan attemptTimeout);

    protected abstract Task<OtlpExportResult> ReadResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken);

    /// <summary>
    /// Reads <c>Retry-After</c> (delay-seconds or an HTTP-date) as a delay from now; null when absent or
    /// unreadable. Negative delays (a date in the past) become zero.
    /// </summary>
    protected static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var delay = date - DateTimeOffset.UtcNow;
            return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
        }

        return null;
    }

    /// <summary>Reads the whole body, refusing one larger than <see cref="MaxResponseBytes"/>.</summary>
    protected static async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new InvalidDataException($"Response body of {content.Headers.ContentLength} bytes exceeds {MaxResponseBytes}.");
        }

        using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
            {
                throw new InvalidDataException($"Response body exceeds {MaxResponseBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    protected static ByteArrayContent CreateContent(byte[] body, MediaTypeHeaderValue contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = contentType;
        return content;
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            this.httpClient.Dispose();
        }
    }

    private static SocketsHttpHandler CreateDefaultHandler(OtlpTlsSettings? tls)
    {
        var handler = new SocketsHttpHandler
        {
            // Pick up DNS changes of a long-lived collector address.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
        };

        if (tls?.TrustedCertificates is { Count: > 0 } trusted)
        {
            // Custom root trust: the server's chain must end in one of these, the system's roots do not count.
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(trusted);
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        if (tls?.ClientCertificate is { } clientCertificate)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return handler;
    }
}
