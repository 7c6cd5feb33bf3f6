using System.Collections.Concurrent;
using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class ProfilerThreadTests
{
    [TestMethod]
    public void Start_NamesTheThreadForTheOperatingSystem_AndExcludesIt()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("Thread names are read from /proc here.");
        }

        // top -H and /proc show 15 bytes: each profiler thread must be told apart there, not "OpenTelemetry.P".
        var excluded = new ConcurrentBag<int>();
        var seen = new ConcurrentDictionary<string, (int Tid, string Comm, string Managed)>();
        Thread Run(string name, string? shortName) => ProfilerThread.Start(
            name,
            excluded.Add,
            () =>
            {
                int tid = OsThread.CurrentId;
                seen[name] = (tid, File.ReadAllText($"/proc/self/task/{tid}/comm").TrimEnd('\n'), Thread.CurrentThread.Name ?? string.Empty);
            },
            shortName);

        var threads = new[] { Run("NativeSampler", "cpu"), Run("Export", null), Run("SamplingScheduler", "window-with-a-long-name") };
        foreach (var thread in threads)
        {
            Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(10)));
        }

        Assert.AreEqual("otelprof-cpu", seen["NativeSampler"].Comm);
        Assert.AreEqual("otelprof-export", seen["Export"].Comm, "the managed name, lower case, by default");
        Assert.AreEqual("otelprof-window", seen["SamplingScheduler"].Comm, "cut to the kernel's 15 bytes");
        Assert.AreEqual("OpenTelemetry.Profiling.NativeSampler", seen["NativeSampler"].Managed, "the managed name stays whole");
        CollectionAssert.AreEquivalent(seen.Values.Select(v => v.Tid).ToArray(), excluded.ToArray());
    }

    [TestMethod]
    public void Start_ReturnsOnceTheThreadIsMarkedAsTheProfilers()
    {
        // The native sampler arms every thread that exists when it starts: a profiler thread the machine has not
        // yet run must not then be sampled, in its first milliseconds, as the application's.
        int excluded = 0;
        using var release = new ManualResetEventSlim();
        var thread = ProfilerThread.Start("Marked", id => Volatile.Write(ref excluded, id), () => release.Wait());
        int id = Volatile.Read(ref excluded);
        bool tracked = SpanTracker.TryGetHistory(id, out var history);
        SpanKey state = default;
        var lookup = tracked ? history!.TryGetStateAt(System.Diagnostics.Stopwatch.GetTimestamp(), out state) : SpanLookupResult.Lost;
        release.Set();
        Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(10)));

        Assert.AreNotEqual(0, id, "excluded by the time Start returned");
        Assert.IsTrue(tracked, "its span history exists");
        Assert.AreEqual(SpanLookupResult.Found, lookup);
        Assert.IsTrue(state.IsProfilerWork, "marked as profiler work");
    }
}
