using System.Globalization;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;

namespace OpenTelemetry.Profiling.Receiver;

/// <summary>
/// An OTLP receiver on 127.0.0.1 for profiles, traces and metrics, for tests and local inspection. One
/// listener speaks HTTP/2 without TLS (h2c, prior knowledge) for gRPC; another speaks HTTP/1.1 for OTLP/HTTP
/// with protobuf bodies; both over TLS when started with a certificate. Request bodies may be gzip-compressed.
/// Everything received is kept in memory; the class is thread-safe.
/// </summary>
public sealed partial class LocalOtlpReceiver : IAsyncDisposable
{
    /// <summary>The gRPC path of the profiles service.</summary>
    public const string ProfilesGrpcPath = "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";

    /// <summary>The gRPC path of the trace service.</summary>
    public const string TracesGrpcPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    /// <summary>The gRPC path of the metrics service.</summary>
    public const string MetricsGrpcPath = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

    /// <summary>The OTLP/HTTP path for profiles.</summary>
    public const string ProfilesHttpPath = "/v1development/profiles";

    /// <summary>The OTLP/HTTP path for traces.</summary>
    public const string TracesHttpPath = "/v1/traces";

    /// <summary>The OTLP/HTTP path for metrics.</summary>
    public const string MetricsHttpPath = "/v1/metrics";

    /// <summary>The largest request accepted, as the OTLP spec asks servers to accept: 64 MiB.</summary>
    public const int MaxRequestBytes = 64 * 1024 * 1024;

    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly List<ExportProfilesServiceRequest> profileRequests = [];
    private readonly List<ReceivedSpan> spans = [];
    private int metricRequestCount;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LocalOtlpReceiver(WebApplication app)
    {
        this.app = app;
    }

    private enum Signal
    {
        Profiles,
        Traces,
        Metrics,
    }

    /// <summary>Gets the base URI of the gRPC (h2c) listener, for example <c>http://127.0.0.1:43121</c>.</summary>
    public Uri GrpcEndpoint { get; private set; } = null!;

    /// <summary>Gets the base URI of the OTLP/HTTP listener; append <see cref="ProfilesHttpPath"/> and the like.</summary>
    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>Gets how many profile export requests were received.</summary>
    public int ProfileRequestCount
    {
        get
        {
            lock (this.gate)
            {
                return this.profileRequests.Count;
            }
        }
    }

    /// <summary>Gets a snapshot of the spans received.</summary>
    public IReadOnlyList<ReceivedSpan> Spans
    {
        get
        {
            lock (this.gate)
            {
                return [.. this.spans];
            }
        }
    }

    /// <summary>Gets how many metric export requests were received.</summary>
    public int MetricRequestCount => Volatile.Read(ref this.metricRequestCount);

    /// <summary>Gets a snapshot of the profile export requests received.</summary>
    internal IReadOnlyList<ExportProfilesServiceRequest> ProfileRequests
    {
        get
        {
            lock (this.gate)
            {
                return [.. this.profileRequests];
            }
        }
    }

    /// <summary>Starts the receiver on 127.0.0.1.</summary>
    /// <param name="grpcPort">The gRPC port; 0 picks a free one.</param>
    /// <param name="httpPort">The OTLP/HTTP port; 0 picks a free one.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running receiver.</returns>
    public static Task<LocalOtlpReceiver> StartAsync(int grpcPort = 0, int httpPort = 0, CancellationToken cancellationToken = default) =>
        StartAsync(new LocalOtlpReceiverOptions { GrpcPort = grpcPort, HttpPort = httpPort }, cancellationToken);

    /// <summary>Starts the receiver on 127.0.0.1 with <paramref name="options"/>.</summary>
    /// <param name="options">Ports and TLS.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running receiver.</returns>
    public static async Task<LocalOtlpReceiver> StartAsync(LocalOtlpReceiverOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        int grpcPort = options.GrpcPort;
        int httpPort = options.HttpPort;
        ArgumentOutOfRangeException.ThrowIfNegative(grpcPort);
        ArgumentOutOfRangeException.ThrowIfNegative(httpPort);
        ListenOptions? grpcListen = null;
        ListenOptions? httpListen = null;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxRequestBytes;
            kestrel.Listen(IPAddress.Loopback, grpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                options.ConfigureTls(listen);
                grpcListen = listen;
            });
            kestrel.Listen(IPAddress.Loopback, httpPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                options.ConfigureTls(listen);
                httpListen = listen;
            });
        });

        var app = builder.Build();
        var receiver = new LocalOtlpReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        // Kestrel writes the bound port back into the listen options when port 0 was asked for.
        string scheme = options.ServerCertificate is null ? "http" : "https";
        receiver.GrpcEndpoint = new Uri($"{scheme}://127.0.0.1:{grpcListen!.IPEndPoint!.Port.ToString(CultureInfo.InvariantCulture)}");
        receiver.HttpEndpoint = new Uri($"{scheme}://127.0.0.1:{httpListen!.IPEndPoint!.Port.ToString(CultureInfo.InvariantCulture)}");
        return receiver;
    }

    /// <summary>Waits until at least <paramref name="count"/> profile export requests were received.</summary>
    /// <param name="count">The number of requests to wait for.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> if they arrived in time.</returns>
    public Task<bool> WaitForProfileRequestsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        this.WaitAsync(() => this.ProfileRequestCount >= count, timeout, cancellationToken);

    /// <summary>Waits until the received spans satisfy <paramref name="predicate"/>.</summary>
    /// <param name="predicate">Tested on a snapshot of the spans after every receive.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> if the predicate held in time.</returns>
    public Task<bool> WaitForSpansAsync(Func<IReadOnlyList<ReceivedSpan>, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return this.WaitAsync(() => predicate(this.Spans), timeout, cancellationToken);
    }

    /// <summary>Summarizes all profiles received so far.</summary>
    /// <param name="top">How many functions and spans to list per table.</param>
    /// <param name="stackFilter">A substring of function names whose share of stacks to report, or <see langword="null"/>.</param>
    /// <returns>The summary.</returns>
    public ProfileSummary SummarizeProfiles(int top = 10, string? stackFilter = null) =>
        ProfileSummary.Compute(this.ProfileRequests, top, stackFilter);

    /// <summary>
    /// Sums the sample values of the received profiles with the given period type (e.g. <c>cpu/nanoseconds</c>:
    /// CPU samples) whose interval started at or after <paramref name="since"/>; cheaper than a summary.
    /// </summary>
    /// <param name="periodType">The profile's period type, as <c>type/unit</c>.</param>
    /// <param name="since">The earliest profile start time to include; <see cref="DateTimeOffset.MinValue"/> for all.</param>
    /// <returns>The total.</returns>
    public long TotalSampleValue(string periodType, DateTimeOffset since)
    {
        ArgumentNullException.ThrowIfNull(periodType);
        long ticks = since <= DateTimeOffset.UnixEpoch ? 0 : (since - DateTimeOffset.UnixEpoch).Ticks;
        ulong sinceUnixNano = (ulong)ticks > ulong.MaxValue / 100 ? ulong.MaxValue : (ulong)ticks * 100;
        return ProfileSummary.TotalValue(this.ProfileRequests, periodType, sinceUnixNano);
    }

    /// <summary>
    /// Lists each received profile with the given period type (<c>type/unit</c>) whose interval began at or after
    /// <paramref name="since"/>: when its interval began, how long it was, and its samples' total value.
    /// </summary>
    /// <param name="periodType">The period type, as <c>type/unit</c>.</param>
    /// <param name="since">The earliest start of a profile's interval to count.</param>
    /// <returns>One entry per profile.</returns>
    public IReadOnlyList<(DateTimeOffset Start, TimeSpan Duration, long Value)> ProfileTotals(string periodType, DateTimeOffset since)
    {
        ArgumentNullException.ThrowIfNull(periodType);
        long ticks = since <= DateTimeOffset.UnixEpoch ? 0 : (since - DateTimeOffset.UnixEpoch).Ticks;
        ulong sinceUnixNano = (ulong)ticks > ulong.MaxValue / 100 ? ulong.MaxValue : (ulong)ticks * 100;
        return [.. ProfileSummary.Totals(this.ProfileRequests, periodType, sinceUnixNano)
            .Select(t => (DateTimeOffset.UnixEpoch.AddTicks((long)(t.StartUnixNano / 100)), TimeSpan.FromTicks((long)(t.DurationNano / 100)), t.Value))];
    }

    /// <summary>Checks every received profile request against the OTLP profiles rules.</summary>
    /// <returns>The violations found, each prefixed with the request number; empty when all are valid.</returns>
    public IReadOnlyList<string> ValidateProfiles()
    {
        var requests = this.ProfileRequests;
        var violations = new List<string>();
        for (int i = 0; i < requests.Count; i++)
        {
            violations.AddRange(ProfileRequestValidator.Validate(requests[i]).Select(v => $"request {i}: {v}"));
        }

        return violations;
    }

    /// <summary>Stops the listeners.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await this.app.StopAsync(timeout.Token).ConfigureAwait(false);
        await this.app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until the received profile requests satisfy <paramref name="predicate"/>.</summary>
    internal Task<bool> WaitForProfilesAsync(Func<IReadOnlyList<ExportProfilesServiceRequest>, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return this.WaitAsync(() => predicate(this.ProfileRequests), timeout, cancellationToken);
    }

    private static byte[] EncodeGrpcFrame(IMessage message)
    {
        int size = message.CalculateSize();
        byte[] frame = new byte[GrpcFrame.HeaderLength + size];
        GrpcFrame.WriteHeader(frame, size);
        message.WriteTo(frame.AsSpan(GrpcFrame.HeaderLength));
        return frame;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static Task WriteGrpcErrorAsync(HttpContext context, GrpcStatusCode status, string message)
    {
        // Trailers-only response: the status travels in the headers and the stream ends without a body.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = GrpcFrame.ContentType;
        context.Response.Headers[GrpcFrame.StatusHeader] = ((int)status).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers[GrpcFrame.MessageHeader] = GrpcFrame.EncodeMessage(message);
        return Task.CompletedTask;
    }

    private static Dictionary<string, string> RenderAttributes(IEnumerable<KeyValue> attributes)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = attribute.Value switch
            {
                null => string.Empty,
                { ValueCase: AnyValue.ValueOneofCase.StringValue } v => v.StringValue,
                { ValueCase: AnyValue.ValueOneofCase.IntValue } v => v.IntValue.ToString(CultureInfo.InvariantCulture),
                { ValueCase: AnyValue.ValueOneofCase.BoolValue } v => v.BoolValue ? "true" : "false",
                { ValueCase: AnyValue.ValueOneofCase.DoubleValue } v => v.DoubleValue.ToString(CultureInfo.InvariantCulture),
                var v => v.ToString(),
            };
        }

        return result;
    }

    private async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        while (true)
        {
            Task next;
            lock (this.gate)
            {
                next = this.changed.Task;
            }

            if (condition())
            {
                return true;
            }

            try
            {
                await next.WaitAsync(timeoutSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return condition();
            }
        }
    }

    private void Store(Action add)
    {
        TaskCompletionSource previous;
        lock (this.gate)
        {
            add();
            previous = this.changed;
            this.changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (this.Behaviour is { } behaviour && await behaviour(context).ConfigureAwait(false))
        {
            return;
        }

        var request = context.Request;
        (Signal signal, bool grpc)? route = request.Path.Value switch
        {
            ProfilesGrpcPath => (Signal.Profiles, true),
            TracesGrpcPath => (Signal.Traces, true),
            MetricsGrpcPath => (Signal.Metrics, true),
            ProfilesHttpPath => (Signal.Profiles, false),
            TracesHttpPath => (Signal.Traces, false),
            MetricsHttpPath => (Signal.Metrics, false),
            _ => null,
        };
        if (route is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (route.Value.grpc)
        {
            await this.HandleGrpcAsync(context, route.Value.signal).ConfigureAwait(false);
        }
        else
        {
            await this.HandleHttpAsync(context, route.Value.signal).ConfigureAwait(false);
        }
    }

    private async Task HandleGrpcAsync(HttpContext context, Signal signal)
    {
        if (context.Request.ContentType?.StartsWith(GrpcFrame.ContentType, StringComparison.OrdinalIgnoreCase) != true)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex)
        {
            await WriteGrpcErrorAsync(context, GrpcStatusCode.ResourceExhausted, ex.Message).ConfigureAwait(false);
            return;
        }

        if (!GrpcFrame.TryReadMessage(body, out var message, out bool compressed, out string? frameError))
        {
            await WriteGrpcErrorAsync(context, GrpcStatusCode.Internal, frameError!).ConfigureAwait(false);
            return;
        }

        string? encoding = compressed ? context.Request.Headers[GrpcFrame.EncodingHeader].ToString() : null;
        if (!TryDecode(message, encoding, out byte[]? decoded, out string? decodeError))
        {
            await WriteGrpcErrorAsync(context, decoded is null && encoding is not null && !IsGzip(encoding) ? GrpcStatusCode.Unimplemented : GrpcStatusCode.Internal, decodeError!).ConfigureAwait(false);
            return;
        }

        IMessage response;
        try
        {
            response = this.Accept(signal, decoded!, grpc: true, encoding);
        }
        catch (InvalidProtocolBufferException ex)
        {
            await WriteGrpcErrorAsync(context, GrpcStatusCode.InvalidArgument, "Unparsable request: " + ex.Message).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = GrpcFrame.ContentType;
        await context.Response.Body.WriteAsync(EncodeGrpcFrame(response), context.RequestAborted).ConfigureAwait(false);
        context.Response.AppendTrailer(GrpcFrame.StatusHeader, "0");
    }

    private async Task HandleHttpAsync(HttpContext context, Signal signal)
    {
        if (!string.Equals(context.Request.ContentType, "application/x-protobuf", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        string? encoding = context.Request.Headers.ContentEncoding.Count == 0 ? null : context.Request.Headers.ContentEncoding.ToString();
        if (!TryDecode(body, encoding, out byte[]? decoded, out _))
        {
            context.Response.StatusCode = decoded is null && encoding is not null && !IsGzip(encoding)
                ? StatusCodes.Status415UnsupportedMediaType
                : StatusCodes.Status400BadRequest;
            return;
        }

        IMessage response;
        try
        {
            response = this.Accept(signal, decoded!, grpc: false, encoding);
        }
        catch (InvalidProtocolBufferException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(response.ToByteArray(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Parses and stores one request; returns the (empty) response message to send.</summary>
    private IMessage Accept(Signal signal, byte[] message, bool grpc, string? encoding)
    {
        switch (signal)
        {
            case Signal.Profiles:
                var profiles = ExportProfilesServiceRequest.Parser.ParseFrom(message);
                this.Store(() =>
                {
                    this.profileRequests.Add(profiles);
                    this.RecordProfileMessage(message, grpc, encoding);
                });
                return new ExportProfilesServiceResponse();
            case Signal.Traces:
                var traces = ExportTraceServiceRequest.Parser.ParseFrom(message);
                var received = new List<ReceivedSpan>();
                foreach (var resourceSpans in traces.ResourceSpans)
                {
                    var resource = RenderAttributes(resourceSpans.Resource?.Attributes ?? []);
                    foreach (var scopeSpans in resourceSpans.ScopeSpans)
                    {
                        foreach (var span in scopeSpans.Spans)
                        {
                            received.Add(new ReceivedSpan(
                                Convert.ToHexStringLower(span.TraceId.Span),
                                Convert.ToHexStringLower(span.SpanId.Span),
                                span.ParentSpanId.IsEmpty ? null : Convert.ToHexStringLower(span.ParentSpanId.Span),
                                span.Name,
                                span.StartTimeUnixNano,
                                span.EndTimeUnixNano,
                                RenderAttributes(span.Attributes),
                                resource));
                        }
                    }
                }

                this.Store(() => this.spans.AddRange(received));
                return new ExportTraceServiceResponse();
            default:
                _ = ExportMetricsServiceRequest.Parser.ParseFrom(message);
                this.Store(() => Interlocked.Increment(ref this.metricRequestCount));
                return new ExportMetricsServiceResponse();
        }
    }
}
