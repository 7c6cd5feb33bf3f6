using System.Diagnostics;
using System.Globalization;

namespace OverheadHarness;

/// <summary>
/// dotnet-trace attached to this process from outside, as a user would run it: started before a "peer" block
/// with a <c>--duration</c> that outlasts the block by a second, its trace file measured and deleted after it.
/// (Ctrl+C cannot stop it here: <c>dotnet tool run</c> starts the tool as a child that a signal to the CLI does
/// not reach.)
/// </summary>
internal sealed class PeerTracer : IDisposable
{
    private readonly string toolDirectory;
    private readonly string arguments;
    private readonly string outputPath;
    private Process? process;
    private long startTimestamp;

    private PeerTracer(string toolDirectory, string arguments, string outputPath)
    {
        this.toolDirectory = toolDirectory;
        this.arguments = arguments;
        this.outputPath = outputPath;
    }

    /// <summary>
    /// Starts dotnet-trace (a local tool of the manifest in <paramref name="toolDirectory"/>) for
    /// <paramref name="duration"/> and waits until it records.
    /// </summary>
    public static async Task<PeerTracer> StartAsync(string toolDirectory, string providerArguments, TimeSpan duration, TimeSpan timeout)
    {
        string output = Path.Combine(Path.GetTempPath(), $"overhead-peer-{Environment.ProcessId}-{Guid.NewGuid():N}.nettrace");
        string pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var whole = TimeSpan.FromSeconds(Math.Ceiling(duration.TotalSeconds));
        string length = string.Create(CultureInfo.InvariantCulture, $"{whole.Days:00}:{whole.Hours:00}:{whole.Minutes:00}:{whole.Seconds:00}");
        var tracer = new PeerTracer(toolDirectory, $"tool run dotnet-trace collect --process-id {pid} {providerArguments} --duration {length} --output {output}", output);
        await tracer.StartProcessAsync(timeout);
        return tracer;
    }

    public void Dispose() => this.process?.Dispose();

    /// <summary>Waits for the trace to end; returns the trace file's size and how long the tool was attached.</summary>
    public async Task<(long Bytes, double Seconds)> WaitForExitAsync(TimeSpan timeout)
    {
        var running = this.process!;
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await running.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            running.Kill(entireProcessTree: true);
            Console.Error.WriteLine("dotnet-trace did not stop within the timeout and was killed.");
        }

        double seconds = Stopwatch.GetElapsedTime(this.startTimestamp).TotalSeconds;

        long bytes = File.Exists(this.outputPath) ? new FileInfo(this.outputPath).Length : 0;
        File.Delete(this.outputPath);
        return (bytes, seconds);
    }

    private async Task StartProcessAsync(TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet", this.arguments)
        {
            WorkingDirectory = this.toolDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var recording = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transcript = new System.Text.StringBuilder();
        this.process = new Process { StartInfo = info };
        this.process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                recording.TrySetException(new InvalidOperationException("dotnet-trace exited before recording:\n" + transcript));
                return;
            }

            lock (transcript)
            {
                transcript.AppendLine(e.Data);
            }

            // dotnet-trace names its output file once the session is on (its live progress line is only drawn on a console).
            if (e.Data.StartsWith("Output File", StringComparison.Ordinal))
            {
                recording.TrySetResult();
            }
        };
        this.process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (transcript)
                {
                    transcript.AppendLine(e.Data);
                }
            }
        };
        this.process.Start();
        this.process.BeginOutputReadLine();
        this.process.BeginErrorReadLine();
        this.startTimestamp = Stopwatch.GetTimestamp();
        await recording.Task.WaitAsync(timeout);
    }
}
