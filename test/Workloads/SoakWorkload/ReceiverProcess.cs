using System.Diagnostics;
using System.Globalization;
using OpenTelemetry.Profiling.Receiver;

namespace SoakWorkload;

/// <summary>
/// The local OTLP receiver in a child process: it keeps every request in memory, which must not be counted as
/// the profiled process's memory. The child prints its endpoint, then answers each line on stdin with its
/// profile request count; it ends when stdin closes.
/// </summary>
internal sealed class ReceiverProcess : IDisposable
{
    private readonly Process process;

    private ReceiverProcess(Process process, Uri endpoint)
    {
        this.process = process;
        this.Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static ReceiverProcess Start()
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!, [typeof(ReceiverProcess).Assembly.Location, "--receiver"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (!Path.GetFileNameWithoutExtension(Environment.ProcessPath!).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info = new ProcessStartInfo(Environment.ProcessPath!, ["--receiver"]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        }

        // Under `dotnet-trace collect -- <soak>` the child would inherit the tracer's port and wait there for a
        // resume that never comes: the trace is of the soak, not of its receiver.
        info.Environment.Remove("DOTNET_DiagnosticPorts");

        var process = Process.Start(info)!;
        string line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The receiver process ended before it started.");
        return new ReceiverProcess(process, new Uri(line));
    }

    public static async Task<int> RunAsync()
    {
        await using var receiver = await LocalOtlpReceiver.StartAsync();
        Console.WriteLine(receiver.GrpcEndpoint);
        while (await Console.In.ReadLineAsync() is not null)
        {
            Console.WriteLine(receiver.ProfileRequestCount.ToString(CultureInfo.InvariantCulture));
        }

        return 0;
    }

    public int ProfileRequestCount()
    {
        this.process.StandardInput.WriteLine();
        this.process.StandardInput.Flush();
        return int.Parse(this.process.StandardOutput.ReadLine() ?? "-1", CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        this.process.StandardInput.Close();
        if (!this.process.WaitForExit(10_000))
        {
            this.process.Kill();
        }

        this.process.Dispose();
    }
}
