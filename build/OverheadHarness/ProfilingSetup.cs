using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Profiling;
using OpenTelemetry.Profiling.Exporter;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Resources;

namespace OverheadHarness;

/// <summary>
/// The default profiling set-up, as a user writes it (tracing and profiling in one builder), in an OpenTelemetry
/// SDK created and disposed for every "on" block; the other blocks trace the same spans with
/// <see cref="TracingOnly"/>. Nothing
/// is configured but the exporter's destination: options come from their defaults (the harness script unsets
/// the profiling environment variables).
/// </summary>
internal sealed class ProfilingSetup : IDisposable
{
    private const string CpuPeriodType = "cpu/nanoseconds";

    /// <summary>
    /// The app's span sources. A user writes <c>.WithTracing(...).WithProfiling(...)</c> in one builder, so the
    /// profiler's span processor sees every span: this SDK traces them, and blocks without profiling trace them
    /// with <see cref="TracingOnly"/>.
    /// </summary>
    public static readonly string[] TracedSources = ["Microsoft.AspNetCore", RateLimiterSync.RateLimiterTelemetry.Name];

    private readonly LocalOtlpReceiver receiver;
    private readonly OpenTelemetrySdk sdk;
    private readonly long startTimestamp;
    private readonly TimeSpan startCpu;
    private readonly int startRequests;
    private readonly long startBytes;
    private readonly long startSamples;
    private readonly List<(DateTimeOffset Time, TimeSpan Total, TimeSpan User)> cpuReadings = [];
    private readonly Timer cpuReader;

    /// <param name="receiver">Where profiles go.</param>
    /// <param name="endpoint">Where profiles go instead of the receiver: an endpoint nothing listens on, or the twin run's collector.</param>
    /// <param name="variant">A target rate and window instead of the defaults (the window study only).</param>
    /// <param name="noSampling">No native sampler and no sampling window after the first (the runtime's sampler at duty cycle 0.01), exporting every 10 s.</param>
    /// <param name="spansOnly">As <paramref name="noSampling"/>, and no wall profile and no exception events either.</param>
    public ProfilingSetup(LocalOtlpReceiver receiver, Uri? endpoint = null, StudyVariant? variant = null, bool noSampling = false, bool spansOnly = false)
    {
        this.receiver = receiver;
        (this.startRequests, this.startBytes, this.startSamples) = Received(receiver);
        this.startTimestamp = Stopwatch.GetTimestamp();
        this.startCpu = Environment.CpuUsage.TotalTime;
        this.cpuReader = new Timer(_ => this.ReadCpu(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        this.sdk = OpenTelemetrySdk.Create(otel => AppTracing(otel)
            .WithProfiling(profiling => profiling
                .Configure(options =>
                {
                    if (spansOnly)
                    {
                        options.WallTimeEnabled = false;
                        options.ExceptionsEnabled = false;
                    }

                    if (noSampling || spansOnly)
                    {
                        // Neither the native sampler nor (in the measured blocks) a runtime sampling window.
                        options.CpuSampler = CpuSampler.Runtime;
                        options.SamplingDutyCycle = 0.01;
                        options.ExportInterval = TimeSpan.FromSeconds(10);
                    }

                    if (variant is not null)
                    {
                        options.TargetSamplesPerCpuSecond = variant.Target;
                        if (variant.Window is { } window)
                        {
                            options.SamplingWindow = window;
                        }
                    }
                })
                .AddOtlpExporter(exporter =>
                {
                    exporter.Endpoint = endpoint ?? receiver.GrpcEndpoint;
                    exporter.Protocol = OtlpProfileExportProtocol.Grpc;
                })));
    }

    public ProfilerExport Export { get; private set; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>The app's tracing without profiling: its spans are created and current, as in the "off" set-up.</summary>
    public static OpenTelemetrySdk TracingOnly() => OpenTelemetrySdk.Create(otel => AppTracing(otel));

    /// <summary>Gets or sets when the measured block began: profiles that began earlier are start-up, not steady state.</summary>
    public DateTimeOffset MeasuredSince { get; set; } = DateTimeOffset.MaxValue;

    /// <summary>Stops profiling (the last partial interval is exported before this returns) and totals what arrived.</summary>
    public void Dispose()
    {
        this.sdk.Dispose();
        double lifetime = Stopwatch.GetElapsedTime(this.startTimestamp).TotalSeconds;
        double cpu = (Environment.CpuUsage.TotalTime - this.startCpu).TotalSeconds;
        this.cpuReader.Dispose();
        this.ReadCpu();
        var (requests, bytes, samples) = Received(this.receiver);
        long blockSamples = this.receiver.TotalSampleValue(CpuPeriodType, this.MeasuredSince);

        // The CPU those profiles cover: a profile that began in the block may end after it (the last one ends
        // at disposal), so the block's own CPU is not their denominator.
        double profilesCpu = 0;
        double profilesUserCpu = 0;
        foreach (var (start, duration, _) in this.receiver.ProfileTotals(CpuPeriodType, this.MeasuredSince))
        {
            profilesCpu += (this.CpuAt(start + duration).Total - this.CpuAt(start).Total).TotalSeconds;
            profilesUserCpu += (this.CpuAt(start + duration).User - this.CpuAt(start).User).TotalSeconds;
        }

        this.Export = new ProfilerExport(lifetime, cpu, bytes - this.startBytes, requests - this.startRequests, samples - this.startSamples, blockSamples, profilesCpu, profilesUserCpu);
    }

    private void ReadCpu()
    {
        var usage = Environment.CpuUsage;
        lock (this.cpuReadings)
        {
            this.cpuReadings.Add((DateTimeOffset.UtcNow, usage.TotalTime, usage.UserTime));
        }
    }

    /// <summary>The process's CPU times at a moment, interpolated between the 100 ms readings around it.</summary>
    private (TimeSpan Total, TimeSpan User) CpuAt(DateTimeOffset time)
    {
        lock (this.cpuReadings)
        {
            var readings = this.cpuReadings;
            int after = readings.FindIndex(r => r.Time >= time);
            if (after <= 0)
            {
                var edge = readings[after < 0 ? readings.Count - 1 : 0];
                return (edge.Total, edge.User);
            }

            var (t0, total0, user0) = readings[after - 1];
            var (t1, total1, user1) = readings[after];
            double f = (time - t0) / (t1 - t0);
            return (total0 + ((total1 - total0) * f), user0 + ((user1 - user0) * f));
        }
    }

    // The app's resource and span sources, the same with profiling and without.
    private static IOpenTelemetryBuilder AppTracing(IOpenTelemetryBuilder otel) => otel
        .ConfigureResource(resource => resource.AddService("rate-limiter-sync"))
        .WithTracing(tracing => tracing.AddSource(TracedSources));

    private static (int Requests, long Bytes, long Samples) Received(LocalOtlpReceiver receiver)
    {
        // The generated request type is internal to the exporter; its protobuf interface is all we need.
        IReadOnlyList<Google.Protobuf.IMessage> requests = receiver.ProfileRequests;
        long bytes = requests.Sum(request => (long)request.CalculateSize());
        return (requests.Count, bytes, receiver.TotalSampleValue(CpuPeriodType, DateTimeOffset.MinValue));
    }
}
