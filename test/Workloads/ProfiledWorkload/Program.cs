using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Profiling;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ProfiledWorkload;

// Runs known work for the duration given in milliseconds (first argument), with profiles and traces exported
// through OTLP to OTEL_EXPORTER_OTLP_ENDPOINT, then disposes the SDK (which flushes both) and exits.
int durationMs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5000;
using var diagnostics = Environment.GetEnvironmentVariable("WORKLOAD_PRINT_DIAGNOSTICS") == "1" ? new DiagnosticsPrinter() : null;

using (var sdk = OpenTelemetrySdk.Create(builder => builder
    .ConfigureResource(resource => resource.AddService("profiled-workload", serviceInstanceId: "workload-instance-1"))
    .WithTracing(tracing => tracing.AddSource(Workload.SourceName).AddOtlpExporter())
    .WithProfiling(profiling => profiling.AddOtlpExporter())))
{
    var workload = new Workload();
    workload.Run(TimeSpan.FromMilliseconds(durationMs));
    Console.WriteLine($"alpha_ms={workload.AlphaMilliseconds} beta_ms={workload.BetaMilliseconds} background_ms={workload.BackgroundMilliseconds}");
}

Console.WriteLine("done");
