using System.Net;
using Google.Protobuf;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Sends one <see cref="ExportProfilesServiceRequest"/> and turns every outcome, including connection
/// failures and timeouts, into an <see cref="OtlpExportResult"/>. Never throws to the caller.
/// </summary>
internal abstract class OtlpProfileTransport : IDisposable
{
    /// <summary>Responses larger than this are not read: an export response is a few bytes.</summary>
    protected const int MaxResponseBytes = 4 * 1024 * 1024;

    private readonly HttpClient httpClient;

    protected OtlpProfileTransport(Uri requestUri, TimeSpan timeout, IReadOnlyList<KeyValuePair<string, string>> headers, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(requestUri);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        this.RequestUri = requestUri;
        this.Timeout = timeout;
        this.Headers = headers;

        // The per-call timeout is ours (a linked token), so the client's own is off.
        this.httpClient = new HttpClient(handler ?? CreateDefaultHandler(), disposeHandler: handler is null)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
    }

    public Uri RequestUri { get; }

    public TimeSpan Timeout { get; }

    protected IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public async Task<OtlpExportResult> ExportAsync(ExportProfilesServiceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(this.Timeout);
        try
        {
            using var httpRequest = this.CreateRequest(request);
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
                $"No response within {this.Timeout.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} ms.");
        }
        catch (HttpRequestException ex)
        {
            return OtlpExportResult.Failure(GrpcStatusCode.Unavailable, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidProtocolBufferException)
        {
            return OtlpExportResult.Failure(GrpcStatusCode.Internal, ex.Message);
        }
    }

    public void Dispose()
    {
        this.Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract HttpRequestMessage CreateRequest(ExportProfilesServiceRequest request);

    protected abstract Task<OtlpExportResult> ReadResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken);

    protected static OtlpExportResult FromResponse(ExportProfilesServiceResponse response) =>
        response.PartialSuccess is { } partial
            ? new OtlpExportResult(GrpcStatusCode.Ok, null, partial.RejectedProfiles, partial.ErrorMessage)
            : new OtlpExportResult(GrpcStatusCode.Ok, null);

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

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            this.httpClient.Dispose();
        }
    }

    private static SocketsHttpHandler CreateDefaultHandler() => new()
    {
        // Pick up DNS changes of a long-lived collector address.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
    };
}
