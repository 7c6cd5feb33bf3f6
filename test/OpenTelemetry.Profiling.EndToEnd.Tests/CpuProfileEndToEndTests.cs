using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Profiles.V1Development;

namespace OpenTelemetry.Profiling.EndToEnd.Tests;

[TestClass]
[DoNotParallelize]
public sealed class CpuProfileEndToEndTests
{
    [TestMethod]
    public async Task ChildProcess_ExportsCpuProfilesOverGrpc_WithKnownSplitBackgroundLoopAndTheTracesResource()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync();

        string output = await WorkloadRun.RunAsync(receiver, 6000, new Dictionary<string, string> { ["OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE"] = "1", ["OTEL_DOTNET_PROFILING_TARGET_SAMPLES_PER_CPU_SECOND"] = "1000" });
        await receiver.WaitForSpansAsync(s => s.Count > 0, TimeSpan.FromSeconds(10));

        var requests = receiver.ProfileRequests;
        Assert.IsTrue(requests.Count >= 2, $"profiles exported every interval and on shutdown, got {requests.Count} requests");
        CollectionAssert.AreEqual(Array.Empty<string>(), receiver.ValidateProfiles().ToArray(), "every table obeys the index-0 and bounds rules");

        var stacks = Stacks(requests).ToList();
        long total = stacks.Sum(s => s.Value);
        long alpha = stacks.Where(s => s.Functions.Any(f => f.EndsWith("Workload.Alpha", StringComparison.Ordinal))).Sum(s => s.Value);
        long beta = stacks.Where(s => s.Functions.Any(f => f.EndsWith("Workload.Beta", StringComparison.Ordinal))).Sum(s => s.Value);
        long background = stacks.Where(s => s.Functions.Any(f => f.EndsWith("Workload.BackgroundLoop", StringComparison.Ordinal))).Sum(s => s.Value);
        double expectedAlpha = WorkloadRun.Reported(output, "alpha_ms") / (double)(WorkloadRun.Reported(output, "alpha_ms") + WorkloadRun.Reported(output, "beta_ms"));
        double measuredAlpha = alpha / (double)(alpha + beta);
        Console.WriteLine($"samples={total} alpha={alpha} beta={beta} background={background} alpha share measured={measuredAlpha:P1} expected={expectedAlpha:P1}");

        Assert.IsTrue(alpha + beta > 500, $"enough samples of the hot methods: {alpha + beta}");
        Assert.AreEqual(expectedAlpha, measuredAlpha, 0.05, "Alpha's share of the hot thread within 5 points of the known split");
        Assert.IsTrue(background > 0, "the background loop appears by name");

        long frames = stacks.Sum(s => s.Functions.Count * s.Value);
        long unnamed = stacks.Sum(s => s.Functions.Count(f => f.StartsWith("[unknown", StringComparison.Ordinal)) * s.Value);
        Console.WriteLine($"named frames {100.0 * (frames - unnamed) / frames:F2}%");
        Assert.IsTrue(unnamed <= 0.01 * frames, $"at least 99% of sampled frames named ({unnamed} of {frames} unnamed)");
        var own = stacks.Where(s => s.Functions.Any(f => f.StartsWith("OpenTelemetry.Profiling.Sampling.", StringComparison.Ordinal) || f.StartsWith("OpenTelemetry.Profiling.Exporter.", StringComparison.Ordinal))).ToList();
        Assert.AreEqual(0, own.Count, "the profiler's own threads and export work do not appear: " + string.Join(" | ", own.Take(3).Select(s => s.ThreadName + ": " + string.Join(" < ", s.Functions))));

        var hotThreadSamples = stacks.Where(s => s.ThreadName == "workload-hot").Sum(s => s.Value);
        Assert.IsTrue(hotThreadSamples >= alpha + beta, "samples carry thread.name");

        // Same resource as the app's traces.
        var profileResource = requests[0].ResourceProfiles[0].Resource.Attributes.ToDictionary(a => a.Key, a => a.Value.StringValue);
        var traceResource = receiver.Spans[0].ResourceAttributes;
        Assert.AreEqual("profiled-workload", profileResource["service.name"]);
        Assert.AreEqual("workload-instance-1", profileResource["service.instance.id"]);
        foreach (var (key, value) in traceResource)
        {
            Assert.AreEqual(value, profileResource.GetValueOrDefault(key), $"resource attribute {key} matches the traces");
        }

        var strings = requests[0].Dictionary.StringTable;
        var profile = requests[0].ResourceProfiles[0].ScopeProfiles[0].Profiles.Single(p => strings[p.PeriodType.TypeStrindex] == "cpu");
        Assert.AreEqual("cpu", strings[profile.PeriodType.TypeStrindex]);
        Assert.AreEqual("nanoseconds", strings[profile.PeriodType.UnitStrindex]);
        Assert.IsTrue(profile.Period is > 500_000 and < 20_000_000, $"period is the real sampling period in ns: {profile.Period}");
        Assert.IsTrue(profile.DurationNano > 0 && profile.TimeUnixNano > 0);
    }

    internal static IEnumerable<(IReadOnlyList<string> Functions, string? ThreadName, long Value)> Stacks(IReadOnlyList<ExportProfilesServiceRequest> requests)
    {
        foreach (var request in requests)
        {
            var d = request.Dictionary;
            foreach (var profile in request.ResourceProfiles.SelectMany(r => r.ScopeProfiles).SelectMany(s => s.Profiles)
                .Where(p => d.StringTable[p.PeriodType.TypeStrindex] == "cpu"))
            {
                foreach (Sample sample in profile.Samples)
                {
                    var functions = d.StackTable[sample.StackIndex].LocationIndices
                        .Select(l => d.StringTable[d.FunctionTable[d.LocationTable[l].Lines[0].FunctionIndex].NameStrindex])
                        .ToList();
                    string? threadName = sample.AttributeIndices
                        .Select(i => d.AttributeTable[i])
                        .Where(a => d.StringTable[a.KeyStrindex] == "thread.name")
                        .Select(a => a.Value.StringValue)
                        .FirstOrDefault();
                    yield return (functions, threadName, sample.Values.Sum());
                }
            }
        }
    }
}
