using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>A Kestrel h2c server on 127.0.0.1 with a scripted handler, for collector misbehaviour.</summary>
internal sealed class TestGrpcServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private TestGrpcServer(WebApplication app, Uri endpoint)
    {
        this.app = app;
        this.Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<TestGrpcServer> StartAsync(RequestDelegate handler, HttpProtocols protocols = HttpProtocols.Http2)
    {
        ListenOptions? listenOptions = null;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = protocols;
            listenOptions = listen;
        }));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return new TestGrpcServer(app, new Uri($"http://127.0.0.1:{listenOptions!.IPEndPoint!.Port}"));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await this.app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A hanging handler is the point of some tests.
        }

        await this.app.DisposeAsync();
    }
}
