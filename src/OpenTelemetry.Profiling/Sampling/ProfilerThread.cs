using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Starts the profiler's own background threads so they never show up in its profiles: each reports its OS
/// id for exclusion before doing anything, and runs marked as profiler work.
/// </summary>
internal static class ProfilerThread
{
    public static Thread Start(string name, Action<int> excludeThread, Action body)
    {
        var thread = new Thread(() =>
        {
            excludeThread(OsThread.CurrentId);
            using var scope = SpanTracker.EnterProfilerWork();
            body();
        })
        {
            IsBackground = true,
            Name = "OpenTelemetry.Profiling." + name,
        };
        thread.Start();
        return thread;
    }
}
