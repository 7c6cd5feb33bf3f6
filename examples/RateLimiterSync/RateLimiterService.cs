using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace RateLimiterSync;

/// <summary>Builds the web service: Kestrel on loopback, the rate limiter in front of <c>/api</c>, the sync loop.</summary>
internal static class RateLimiterService
{
    public static WebApplication Build(ExampleOptions options, RateLimiterTelemetry telemetry)
    {
        // No args: the command line belongs to the example, not to ASP.NET Core configuration.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));

        // Request logs at 200+ requests a second would drown the report; warnings and errors still show.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(telemetry);
        builder.Services.AddSingleton(new LimitStore(options.KeyCount, options.PeerCount));
        builder.Services.AddSingleton<LimitSyncService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LimitSyncService>());

        var app = builder.Build();
        app.UseMiddleware<ServerSpanMiddleware>();
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal), api => api.UseMiddleware<RateLimitingMiddleware>());
        app.MapApi();
        return app;
    }

    /// <summary>The address Kestrel actually listens on (the port is picked by the OS when 0 was asked for).</summary>
    public static Uri BaseAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }
}
