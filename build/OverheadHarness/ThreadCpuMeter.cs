using System.Globalization;

namespace OverheadHarness;

/// <summary>
/// CPU time of the profiler's threads during a block, read from <c>/proc/self/task</c>: the profiler's own managed
/// threads (named <c>otelprof-*</c> for the operating system) and the runtime's EventPipe threads (the sampler that walks the
/// stacks and the threads that stream the sessions). Threads come and go with every sampling window, so the meter
/// is polled often and keeps the last figure each thread showed; a thread loses at most the CPU of its last poll
/// interval. Linux only; elsewhere it reads nothing.
/// </summary>
internal sealed class ThreadCpuMeter
{
    /// <summary>The profiler's threads as the kernel names them (<c>otelprof-cpu</c>, <c>otelprof-export</c>, ...).</summary>
    public const string ProfilerThreads = "otelprof-";

    /// <summary>The runtime's EventPipe threads: the sampler that walks the stacks and the session streams.</summary>
    public const string EventPipeThreads = ".NET EventPipe";

    // /proc reports thread CPU in clock ticks; USER_HZ is 100 on the Linux builds .NET supports.
    private const double TicksPerSecond = 100;

    private readonly Dictionary<int, (string Comm, long Ticks)> first = [];
    private readonly Dictionary<int, (string Comm, long Ticks)> last = [];
    private bool started;

    /// <summary>Gets whether this system exposes per-thread CPU time.</summary>
    public static bool IsSupported => Directory.Exists("/proc/self/task");

    /// <summary>Reads every thread's CPU time; call at the block's start, every few hundred ms, and at its end.</summary>
    public void Poll()
    {
        if (!IsSupported)
        {
            return;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out int tid) || !TryRead(task, out string comm, out long ticks))
            {
                continue;
            }

            // A thread first seen after the first poll was born during the block: all its CPU counts.
            this.first.TryAdd(tid, (comm, this.started ? 0 : ticks));
            this.last[tid] = (comm, ticks);
        }

        this.started = true;
    }

    /// <summary>CPU seconds used since the first poll by the threads whose name starts with <paramref name="prefix"/>.</summary>
    public double CpuSeconds(string prefix)
    {
        long ticks = 0;
        foreach (var (tid, end) in this.last)
        {
            if (end.Comm.StartsWith(prefix, StringComparison.Ordinal))
            {
                ticks += end.Ticks - this.first[tid].Ticks;
            }
        }

        return ticks / TicksPerSecond;
    }

    private static bool TryRead(string task, out string comm, out long ticks)
    {
        comm = string.Empty;
        ticks = 0;
        try
        {
            // One file per thread: the name is in stat too, in parentheses. Both twins poll every 250 ms and the
            // profiled one has more threads, so each read is the harness's cost charged to the profiler.
            string stat = File.ReadAllText(Path.Combine(task, "stat"));
            int open = stat.IndexOf('(');
            int close = stat.LastIndexOf(')');
            comm = stat[(open + 1)..close];

            // Fields after the parenthesised name: state is field 3, utime 14, stime 15 (1-based).
            var fields = stat[(close + 2)..].Split(' ');
            ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            // The thread ended between listing and reading.
            return false;
        }
    }
}
