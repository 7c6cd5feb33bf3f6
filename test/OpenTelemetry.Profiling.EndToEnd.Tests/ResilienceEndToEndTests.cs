using System.Diagnostics;
using OpenTelemetry.Profiling.Receiver;
using OpenTelemetry.Profiling.Testing;

namespace OpenTelemetry.Profiling.EndToEnd.Tests;

/// <summary>A missing collector or a process without EventPipe must never hurt the profiled app.</summary>
[TestClass]
[DoNotParallelize]
public sealed class ResilienceEndToEndTests
{
    [TestMethod]
    public async Task ChildProcess_WhenTheCollectorIsUnreachable_RunsItsWorkAndExitsNormally()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync();
        var stopwatch = Stopwatch.StartNew();

        string output = await WorkloadRun.RunAsync(receiver, 3000, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{ClosedPort.Next()}",
        });

        Assert.IsTrue(WorkloadRun.Reported(output, "alpha_ms") > 1000, "the app did its work");
        StringAssert.Contains(output, "done");
        Assert.IsTrue(stopwatch.Elapsed < TimeSpan.FromSeconds(40), $"shutdown stayed bounded: {stopwatch.Elapsed}");
        Assert.AreEqual(0, receiver.ProfileRequestCount);
    }

    [TestMethod]
    public async Task ChildProcess_WhenTheCollectorHangs_StillDisposesWithinABoundedTime()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync();
        using var release = new CancellationTokenSource();
        receiver.Behaviour = async context =>
        {
            if (context.Request.Path != LocalOtlpReceiver.ProfilesGrpcPath)
            {
                return false;
            }

            // Accept the request, then never answer.
            try
            {
                await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(release.Token, context.RequestAborted).Token);
            }
            catch (OperationCanceledException)
            {
            }

            return true;
        };
        var stopwatch = Stopwatch.StartNew();

        string output = await WorkloadRun.RunAsync(receiver, 3000);
        var elapsed = stopwatch.Elapsed;
        await release.CancelAsync();

        StringAssert.Contains(output, "done");
        Console.WriteLine($"run of 3 s with a hanging collector took {elapsed.TotalSeconds:F1} s");
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(3 + 20), $"dispose stayed bounded: {elapsed}");
    }

    [TestMethod]
    public async Task ChildProcess_WhenDiagnosticsAreDisabled_RunsWithoutProfiling()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync();

        string output = await WorkloadRun.RunAsync(receiver, 2000, new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "0" });
        await receiver.WaitForSpansAsync(s => s.Count > 0, TimeSpan.FromSeconds(10));

        StringAssert.Contains(output, "done");
        Assert.AreEqual(0, receiver.ProfileRequestCount, "no profiles without EventPipe");
        Assert.IsTrue(receiver.Spans.Count > 0, "traces still flow: the rest of OpenTelemetry is untouched");
    }

    [TestMethod]
    public async Task ChildProcess_WhenTheEndpointIsMalformed_ReportsTheSettingAndRunsNormally()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync();

        string output = await WorkloadRun.RunAsync(receiver, 1000, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT"] = "not a url",
            ["OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL"] = "carrier-pigeon",
            ["WORKLOAD_PRINT_DIAGNOSTICS"] = "1",
        });

        StringAssert.Contains(output, "OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT");
        StringAssert.Contains(output, "OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL");
        StringAssert.Contains(output, "done");
        Assert.IsTrue(await receiver.WaitForProfileRequestsAsync(1, TimeSpan.FromSeconds(5)), "falls back to the generic endpoint");
    }
}
