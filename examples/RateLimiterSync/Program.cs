// RateLimiterSync: a rate-limiting web service whose background SyncLimits loop burns CPU outside any request.
// It runs itself under load for --duration, then reports where the CPU went, as seen by the profiler.
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Profiling;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RateLimiterSync;

ExampleOptions options;
try
{
    options = ExampleOptions.Parse(args);
}
catch (FormatException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(ExampleOptions.Usage);
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(ExampleOptions.Usage);
    return 0;
}

using var diagnostics = new TelemetryDiagnostics();
await using var destination = await TelemetryDestination.CreateAsync(options.Endpoint);
using var telemetry = new RateLimiterTelemetry();
var spanCounter = new SpanCounter();
var requestCounter = new OtlpRequestCounter();

// One SDK for the three signals, all to the same destination. Profiling starts with the SDK and, on dispose,
// exports its last partial interval.
using var sdk = OpenTelemetrySdk.Create(otel => otel
    .ConfigureResource(resource => resource.AddService("rate-limiter-sync"))
    .WithTracing(tracing => tracing
        .AddSource("Microsoft.AspNetCore", "System.Net.Http", RateLimiterTelemetry.Name)
        .AddProcessor(new ReceiverSpanFilter())
        .AddProcessor(spanCounter)
        .AddOtlpExporter(exporter =>
        {
            destination.Apply(exporter);
            requestCounter.Attach(exporter);
        }))
    .WithMetrics(metrics => metrics
        .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", RateLimiterTelemetry.Name, "OpenTelemetry.Profiling", "OpenTelemetry.Profiling.Exporter")
        .AddOtlpExporter((exporter, reader) =>
        {
            destination.Apply(exporter);
            requestCounter.Attach(exporter);

            // The default minute is longer than a demo run.
            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 5000;
        }))
    .WithProfiling(profiling => profiling
        .Configure(profiler =>
        {
            if (options.ProfileExportInterval is { } interval)
            {
                profiler.ExportInterval = interval;
            }

            // Off by default (their cost grows with the allocation and contention rates); the demo shows
            // SyncLimits' allocations and lock waits.
            profiler.AllocationsEnabled = true;
            profiler.LockContentionEnabled = true;
        })
        .AddOtlpExporter(destination.Apply)));

var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
var app = RateLimiterService.Build(options, telemetry);
LoadGenerator load;
LimitSyncService sync;
try
{
    await app.StartAsync();
    var service = RateLimiterService.BaseAddress(app);
    sync = app.Services.GetRequiredService<LimitSyncService>();
    RunReport.PrintStart(options, destination, service);

    load = new LoadGenerator(service, options.Clients, options.RequestsPerSecond);
    // The load stops after --duration, or earlier on Ctrl+C (which stops the app); the report is printed either way.
    using (var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(app.Lifetime.ApplicationStopping))
    {
        stopLoad.CancelAfter(options.Duration);
        var running = load.RunAsync(stopLoad.Token);
        while (await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(5))) != running)
        {
            RunReport.PrintProgress(clock.Elapsed, load.Statistics, sync);
        }

        await running;
    }
}
finally
{
    // Stop the service (and the sync loop) before the SDK, so their last spans and metrics get exported.
    await app.StopAsync();
    await app.DisposeAsync();
}

var elapsed = clock.Elapsed;
var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart;
sdk.Dispose(); // flushes spans, metrics and the last profile (the using above only covers failures)
RunReport.PrintRun(elapsed, cpuUsed, load.Statistics, sync);
RunReport.PrintSent(spanCounter, requestCounter, diagnostics);
if (destination.Receiver is { } receiver)
{
    RunReport.PrintReceived(receiver);
}

RunReport.PrintProblems(diagnostics);
return 0;
