using OpenTelemetry.Profiling.Receiver;

namespace OpenTelemetry.Profiling.EndToEnd.Tests;

[TestClass]
[DoNotParallelize]
public sealed class SpanLinkEndToEndTests
{
    [TestMethod]
    public async Task EveryLinkedSpanInTheProfiles_IsASpanInTheTraces_WithTheSameTraceId()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync();

        await WorkloadRun.RunAsync(receiver, 4000, new Dictionary<string, string>
        {
            ["OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE"] = "1",
            ["OTEL_DOTNET_PROFILING_PYROSCOPE_PROFILE_ID"] = "true",
        });
        await receiver.WaitForSpansAsync(s => s.Count > 10, TimeSpan.FromSeconds(10));

        var spans = receiver.Spans.ToDictionary(s => s.SpanId);
        var links = new List<(string TraceId, string SpanId, long Value)>();
        long unlinkedHot = 0;
        foreach (var request in receiver.ProfileRequests)
        {
            var d = request.Dictionary;
            foreach (var sample in request.ResourceProfiles.SelectMany(r => r.ScopeProfiles).SelectMany(s => s.Profiles).SelectMany(p => p.Samples))
            {
                var functions = d.StackTable[sample.StackIndex].LocationIndices.Select(l => d.StringTable[d.FunctionTable[d.LocationTable[l].Lines[0].FunctionIndex].NameStrindex]).ToList();
                if (sample.LinkIndex == 0)
                {
                    unlinkedHot += functions.Any(f => f.EndsWith("Workload.Alpha", StringComparison.Ordinal)) ? sample.Values.Sum() : 0;
                    continue;
                }

                var link = d.LinkTable[sample.LinkIndex];
                links.Add((Convert.ToHexStringLower(link.TraceId.Span), Convert.ToHexStringLower(link.SpanId.Span), sample.Values.Sum()));
            }
        }

        Assert.IsTrue(links.Count > 0, "samples of the hot loop are linked to its spans");
        foreach (var (traceId, spanId, _) in links)
        {
            Assert.IsTrue(spans.TryGetValue(spanId, out var span), $"linked span {spanId} was exported as a trace span");
            Assert.AreEqual(span!.TraceId, traceId, $"trace id of span {spanId}");
            Assert.AreEqual(spanId, span.Attributes.GetValueOrDefault("pyroscope.profile.id"), "spans with samples carry pyroscope.profile.id = their span id");
        }

        Assert.AreEqual(0, unlinkedHot, "every sample of Alpha ran inside a hot-iteration span");
    }
}
