using System.Diagnostics;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Trace;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>
/// Time a request spends awaiting holds no thread, so no thread sample sees it; the wall profile must still
/// show it in the flame graph of the span that waited. Goes through the whole SDK set-up (WithProfiling).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class AwaitingWallTimeTests
{
    private const string SourceName = "AwaitingWallTimeTests";

    [TestMethod]
    public async Task WallTime_ShowsARequestsTaskDelayAsAwaitingTimeWithinTwentyFivePercent_LinkedToItsSpan()
    {
        var exporter = new CollectingExporter();
        using var source = new ActivitySource(SourceName);
        string spanId;
        var delay = TimeSpan.FromMilliseconds(2000);
        using (var sdk = OpenTelemetrySdk.Create(builder => builder
            .WithTracing(tracing => tracing.AddSource(SourceName))
            .WithProfiling(profiling => profiling
                .Configure(o => { o.SamplingDutyCycle = 1; o.ExportInterval = TimeSpan.FromMinutes(10); })
                .AddExporter(_ => exporter))))
        {
            await Task.Delay(300);
            using (var span = source.StartActivity("awaiting-request")!)
            {
                spanId = span.SpanId.ToHexString();
                await Task.Delay(delay);
            }

            // Disposing stops sampling, which delivers every sample still buffered, then exports.
        }

        var batch = exporter.Batches.Single();
        var d = batch.Dictionary;
        var wall = batch.Profiles.Single(p => d.Strings[p.PeriodType.TypeStrIndex] == "wall");
        long awaiting = wall.Samples
            .Where(s => s.LinkIndex != 0 && d.Links[s.LinkIndex].SpanIdHex == spanId)
            .Where(s => d.Stacks[s.StackIndex].LocationIndices.Any(l => d.Strings[d.Functions[d.Locations[l].FunctionIndex].NameStrIndex] == ProfileAssembler.AwaitingFrameName))
            .Sum(s => s.Value);
        double awaitingMs = awaiting * wall.Period / 1e6;
        Console.WriteLine($"awaiting samples {awaiting} x {wall.Period / 1e6:F2} ms = {awaitingMs:F0} ms (delay {delay.TotalMilliseconds} ms)");

        Assert.AreEqual(delay.TotalMilliseconds, awaitingMs, delay.TotalMilliseconds * 0.25, "awaiting time of the request within 25%");
        Assert.IsFalse(
            wall.Samples.Any(s => s.LinkIndex == 0 && d.Stacks[s.StackIndex].LocationIndices.Any(l => d.Strings[d.Functions[d.Locations[l].FunctionIndex].NameStrIndex] == ProfileAssembler.AwaitingFrameName)),
            "awaiting samples always belong to a span");
    }
}
