using System.Diagnostics;
using System.Reflection;
using OpenTelemetry.Profiling.Receiver;

namespace OpenTelemetry.Profiling.EndToEnd.Tests;

/// <summary>Runs test/Workloads/ProfiledWorkload as a child process exporting to a loopback receiver.</summary>
internal static class WorkloadRun
{
    public static string WorkloadPath { get; } = typeof(WorkloadRun).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "WorkloadPath").Value!;

    /// <summary>Runs the workload to completion; returns its standard output.</summary>
    public static async Task<string> RunAsync(LocalOtlpReceiver receiver, int durationMs, IReadOnlyDictionary<string, string>? environment = null)
    {
        Assert.IsTrue(File.Exists(WorkloadPath), $"workload built at {WorkloadPath}");
        var start = new ProcessStartInfo("dotnet", [WorkloadPath, durationMs.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.GrpcEndpoint.ToString();
        start.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
        start.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "500";
        start.Environment["OTEL_DOTNET_PROFILING_EXPORT_INTERVAL"] = "2000";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(durationMs + 60_000));
        await process.WaitForExitAsync(timeout.Token);
        string stdout = await output;
        Assert.AreEqual(0, process.ExitCode, $"workload exit code; stdout: {stdout}; stderr: {await error}");
        return stdout;
    }

    /// <summary>Reads "name=value" pairs the workload prints.</summary>
    public static long Reported(string output, string name)
    {
        foreach (string part in output.Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return long.Parse(part[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new AssertFailedException($"'{name}' not in workload output: {output}");
    }
}
