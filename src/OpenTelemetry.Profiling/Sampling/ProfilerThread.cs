using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Starts the profiler's own background threads so they never show up in its profiles: each reports its OS
/// id for exclusion before doing anything, and runs marked as profiler work. The operating system sees each as
/// <c>otelprof-</c> and a short name of its own (<see cref="OsName"/>), so per-thread CPU (<c>top -H</c>) tells
/// them apart.
/// </summary>
internal static class ProfilerThread
{
    /// <summary>The prefix of the profiler's threads' names as the operating system shows them.</summary>
    public const string OsNamePrefix = "otelprof-";

    /// <param name="name">The managed name, after "OpenTelemetry.Profiling.".</param>
    /// <param name="excludeThread">Registers the thread's OS id as the profiler's.</param>
    /// <param name="body">The thread's work.</param>
    /// <param name="shortName">The operating system's name after <see cref="OsNamePrefix"/> (6 characters fit); the managed name, lower case, by default.</param>
    public static Thread Start(string name, Action<int> excludeThread, Action body, string? shortName = null)
    {
        string osName = OsName(shortName ?? name.ToLowerInvariant());
        var thread = new Thread(() =>
        {
            OsThread.SetCurrentName(osName);
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

    /// <summary>The name the operating system shows for a profiler thread: the prefix and the short name, cut to 15 characters.</summary>
    public static string OsName(string shortName)
    {
        string name = OsNamePrefix + shortName;
        return name.Length <= 15 ? name : name[..15];
    }
}
