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
        var marked = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            excludeThread(OsThread.CurrentId);
            using var scope = SpanTracker.EnterProfilerWork();
            marked.Set();
            OsThread.SetCurrentName(osName);
            body();
        })
        {
            IsBackground = true,
            Name = "OpenTelemetry.Profiling." + name,
        };
        thread.Start();
        WaitUntilMarked(marked);
        return thread;
    }

    /// <summary>The name the operating system shows for a profiler thread: the prefix and the short name, cut to 15 characters.</summary>
    public static string OsName(string shortName)
    {
        string name = OsNamePrefix + shortName;
        return name.Length <= 15 ? name : name[..15];
    }

    /// <summary>
    /// Waits (a second at most) until a new profiler thread has marked itself as the profiler's: the native sampler
    /// arms every thread that exists when it starts, and a thread the machine had not yet run would otherwise be
    /// sampled in its first milliseconds (compiling its first methods) as the application's.
    /// </summary>
    private static void WaitUntilMarked(ManualResetEventSlim marked)
    {
        // Not disposed when the wait gives up: the thread still sets it (a slim event holds no OS handle here).
        if (marked.Wait(TimeSpan.FromSeconds(1)))
        {
            marked.Dispose();
        }
    }
}
