using System.Diagnostics;

namespace OverheadHarness;

/// <summary>
/// A CPU-bound load without spans or network, to measure what sampling itself costs: one busy thread per core runs
/// fixed work units (a recursive walk over a buffer, so stacks have some depth) and records each unit's time;
/// <c>idleThreads</c> more managed threads wait on an event, as a server's pool, timer and I/O threads do. The
/// runtime's sampler suspends and walks every one of them each round. No spans, no allocation in the loop.
/// </summary>
internal sealed class CpuLoad(int busyThreads, int idleThreads, LatencyRecorder latencies) : IWorkload
{
    private readonly byte[] buffer = Enumerable.Range(0, 4096).Select(i => (byte)(i * 31)).ToArray();
    private long completed;
    private long sink;

    public long Completed => Interlocked.Read(ref this.completed);

    public long Failed => 0;

    public Task RunAsync(CancellationToken cancellationToken)
    {
        var release = new ManualResetEventSlim(false);
        var idle = Enumerable.Range(0, idleThreads).Select(i => new Thread(() => release.Wait()) { IsBackground = true, Name = $"idle-{i}" }).ToList();
        idle.ForEach(thread => thread.Start());
        var busy = Enumerable.Range(0, busyThreads).Select(i => new Thread(() => this.Work(cancellationToken)) { IsBackground = true, Name = $"busy-{i}" }).ToList();
        busy.ForEach(thread => thread.Start());
        return Task.Run(
            () =>
            {
                busy.ForEach(thread => thread.Join());
                release.Set();
                idle.ForEach(thread => thread.Join());
                release.Dispose();
                GC.KeepAlive(Volatile.Read(ref this.sink));
            },
            CancellationToken.None);
    }

    private void Work(CancellationToken cancellationToken)
    {
        ulong total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            // About 40 us a unit: a 60 s block on 2 cores (about 3 million units) stays within the latency recorder's
            // capacity of 4 million; on more cores the recorder keeps the first 4 million.
            long start = Stopwatch.GetTimestamp();
            for (int pass = 0; pass < 8; pass++)
            {
                total += this.Walk(0, this.buffer.Length, depth: 6);
            }

            latencies.Record(Stopwatch.GetTimestamp() - start);
            Interlocked.Increment(ref this.completed);
        }

        Interlocked.Add(ref this.sink, (long)total);
    }

    private ulong Walk(int from, int to, int depth)
    {
        if (depth == 0)
        {
            ulong hash = 14695981039346656037;
            for (int i = from; i < to; i++)
            {
                hash = (hash ^ this.buffer[i]) * 1099511628211;
            }

            return hash;
        }

        int middle = (from + to) / 2;
        return this.Walk(from, middle, depth - 1) ^ this.Walk(middle, to, depth - 1);
    }
}
