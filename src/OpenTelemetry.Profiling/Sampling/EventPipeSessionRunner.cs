using Microsoft.Diagnostics.NETCore.Client;
using OpenTelemetry.Profiling.Diagnostics;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// One in-process EventPipe session and the background thread that reads its stream. The thread reports its
/// OS id before reading so the profiler can leave itself out of its own profiles. A failure while reading is
/// contained here and reported; it never reaches the application.
/// </summary>
internal sealed class EventPipeSessionRunner : IDisposable
{
    private readonly EventPipeSession session;
    private readonly Action<int> excludeThread;
    private Thread? thread;
    private readonly INetTraceEventHandler handler;
    private readonly string name;
    private int stopped;

    private EventPipeSessionRunner(EventPipeSession session, INetTraceEventHandler handler, string name, Action<int> onThreadStarted)
    {
        this.session = session;
        this.handler = handler;
        this.name = name;
        this.excludeThread = onThreadStarted;
    }

    /// <summary>Starts a session on this process and its reader thread. Throws when EventPipe is unavailable.</summary>
    public static EventPipeSessionRunner Start(
        string name,
        IReadOnlyList<EventPipeProvider> providers,
        long rundownKeyword,
        bool requestStackwalk,
        int bufferSizeMB,
        INetTraceEventHandler handler,
        Action<int> onThreadStarted)
    {
        var client = new DiagnosticsClient(Environment.ProcessId);
        var configuration = new EventPipeSessionConfiguration(providers, bufferSizeMB, rundownKeyword, requestStackwalk);
        var session = client.StartEventPipeSession(configuration);
        var runner = new EventPipeSessionRunner(session, handler, name, onThreadStarted);
        runner.thread = ProfilerThread.Start(name, runner.excludeThread, runner.Run);
        return runner;
    }

    /// <summary>
    /// Stops the session: the runtime flushes what it buffered (and writes its rundown, if one was asked for),
    /// then ends the stream. Waits up to <paramref name="timeout"/> for the reader to consume it all.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref this.stopped, 1) == 0)
        {
            try
            {
                this.session.Stop();
            }
            catch (Exception ex) when (ex is ServerNotAvailableException or IOException or TimeoutException or UnsupportedCommandException or ServerErrorException or ObjectDisposedException)
            {
                // The runtime may already have ended the session (process shutting down).
                ProfilingEventSource.Log.ConsumerFailed(this.name, ex);
            }
        }

        return this.thread?.Join(timeout) ?? true;
    }

    public void Dispose()
    {
        this.Stop(TimeSpan.FromSeconds(2));
        this.session.Dispose();
    }

    private void Run()
    {
        try
        {
            using var reader = new NetTraceReader(this.session.EventStream, this.handler);
            reader.Run();
        }
        catch (Exception ex)
        {
            // Includes malformed streams and handler bugs: profiling degrades, the app goes on.
            if (Volatile.Read(ref this.stopped) == 0)
            {
                ProfilingEventSource.Log.ConsumerFailed(this.name, ex);
            }
        }
    }
}
