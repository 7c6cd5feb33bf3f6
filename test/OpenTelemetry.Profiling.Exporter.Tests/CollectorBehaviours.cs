using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Google.Rpc;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>
/// Ways a collector misbehaves, for <c>LocalOtlpReceiver.Behaviour</c>: each returns true when it answered
/// the request itself, false to let the receiver accept it normally.
/// </summary>
internal static class CollectorBehaviours
{
    /// <summary>Answers the first <paramref name="count"/> requests with <paramref name="failure"/>, then lets them through.</summary>
    public static Func<HttpContext, Task<bool>> FirstThen(int count, Func<HttpContext, Task> failure, Counter? seen = null)
    {
        var counter = seen ?? new Counter();
        return async context =>
        {
            if (counter.Increment() > count)
            {
                return false;
            }

            await failure(context);
            return true;
        };
    }

    /// <summary>Answers every request with <paramref name="failure"/>, counting them.</summary>
    public static Func<HttpContext, Task<bool>> Always(Func<HttpContext, Task> failure, Counter? seen = null)
    {
        var counter = seen ?? new Counter();
        return async context =>
        {
            counter.Increment();
            await failure(context);
            return true;
        };
    }

    /// <summary>A trailers-only gRPC error, with RetryInfo when <paramref name="retryDelay"/> is given.</summary>
    public static Func<HttpContext, Task> GrpcStatus(GrpcStatusCode code, string message = "failed", TimeSpan? retryDelay = null) => async context =>
    {
        await DrainAsync(context);
        context.Response.ContentType = GrpcFrame.ContentType;
        context.Response.Headers[GrpcFrame.StatusHeader] = ((int)code).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers[GrpcFrame.MessageHeader] = GrpcFrame.EncodeMessage(message);
        if (retryDelay is { } delay)
        {
            var status = new Status { Code = (int)code, Message = message };
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));

            // gRPC binary headers are base64 without padding.
            context.Response.Headers[GrpcFrame.StatusDetailsHeader] = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
        }
    };

    /// <summary>A plain HTTP status, with <c>Retry-After</c> when given and an optional reason phrase.</summary>
    public static Func<HttpContext, Task> HttpStatus(int statusCode, string? retryAfter = null, string? reason = null) => async context =>
    {
        await DrainAsync(context);
        context.Response.StatusCode = statusCode;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        if (reason is not null && context.Features.Get<IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = reason;
        }
    };

    /// <summary>Reads a few bytes of the request, then resets the connection (HTTP/1.1) or stream (HTTP/2).</summary>
    public static Func<HttpContext, Task> ResetMidRequest() => async context =>
    {
        byte[] some = new byte[8];
        _ = await context.Request.Body.ReadAsync(some);
        context.Abort();
    };

    /// <summary>Never answers, until the client gives up or <paramref name="release"/> is cancelled.</summary>
    public static Func<HttpContext, Task> Hang(CancellationToken release) => async context =>
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(release, context.RequestAborted);
        try
        {
            await Task.Delay(Timeout.Infinite, linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The client went away or the test ended.
        }
    };

    /// <summary>Answers after <paramref name="delay"/>, letting the receiver accept it then.</summary>
    public static Func<HttpContext, Task<bool>> Slow(TimeSpan delay) => async context =>
    {
        await Task.Delay(delay, context.RequestAborted);
        return false;
    };

    /// <summary>A successful gRPC answer that reports a partial success.</summary>
    public static Func<HttpContext, Task> GrpcPartialSuccess(long rejected, string message) => async context =>
    {
        await DrainAsync(context);
        context.Response.ContentType = GrpcFrame.ContentType;
        var response = new ExportProfilesServiceResponse
        {
            PartialSuccess = new ExportProfilesPartialSuccess { RejectedProfiles = rejected, ErrorMessage = message },
        };
        await context.Response.Body.WriteAsync(GrpcTransport.CreateFrame(response));
        context.Response.AppendTrailer(GrpcFrame.StatusHeader, "0");
    };

    private static async Task DrainAsync(HttpContext context)
    {
        try
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client went away.
        }
    }

    /// <summary>A thread-safe count of requests seen.</summary>
    internal sealed class Counter
    {
        private int value;

        public int Value => Volatile.Read(ref this.value);

        public int Increment() => Interlocked.Increment(ref this.value);
    }
}
