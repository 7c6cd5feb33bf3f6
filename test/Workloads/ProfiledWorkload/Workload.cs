using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ProfiledWorkload;

/// <summary>
/// Known CPU work: one thread alternates <see cref="Alpha"/> (3 units) and <see cref="Beta"/> (1 unit, a random 0.5-1.5 ms), so a correct
/// profile shows them at 75 % / 25 %; a background loop (<see cref="BackgroundLoop"/>) spins 1 ms in every 4.
/// Each method records how long it really ran, the ground truth the tests compare against.
/// </summary>
internal sealed class Workload
{
    public const string SourceName = "ProfiledWorkload";
    private static readonly ActivitySource Source = new(SourceName);
    private long alphaTicks;
    private long betaTicks;
    private long backgroundTicks;
    private volatile bool stop;

    public long AlphaMilliseconds => this.alphaTicks * 1000 / Stopwatch.Frequency;

    public long BetaMilliseconds => this.betaTicks * 1000 / Stopwatch.Frequency;

    public long BackgroundMilliseconds => this.backgroundTicks * 1000 / Stopwatch.Frequency;

    public void Run(TimeSpan duration)
    {
        var hot = new Thread(this.HotLoop) { Name = "workload-hot" };
        var background = new Thread(this.BackgroundLoop) { Name = "workload-background", IsBackground = true };
        hot.Start();
        background.Start();
        Thread.Sleep(duration);
        this.stop = true;
        hot.Join();
        background.Join();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Spin(TimeSpan time, ref long spentTicks)
    {
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(time.TotalSeconds * Stopwatch.Frequency);
        double x = 0;
        while (Stopwatch.GetTimestamp() < end)
        {
            for (int i = 1; i < 200; i++)
            {
                x += Math.Sqrt(i);
            }
        }

        spentTicks += Stopwatch.GetTimestamp() - start;
        return x;
    }

    private void HotLoop()
    {
        while (!this.stop)
        {
            using var span = Source.StartActivity("hot-iteration");
            for (int i = 0; i < 25 && !this.stop; i++)
            {
                // A random length per round keeps the 3:1 split from beating against the sampler's fixed period.
                double scale = 0.5 + Random.Shared.NextDouble();
                this.Alpha(scale);
                this.Beta(scale);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Alpha(double scale) => Spin(TimeSpan.FromMilliseconds(3 * scale), ref this.alphaTicks);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Beta(double scale) => Spin(TimeSpan.FromMilliseconds(scale), ref this.betaTicks);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void BackgroundLoop()
    {
        using var pause = new ManualResetEventSlim(false);
        while (!this.stop)
        {
            Spin(TimeSpan.FromMilliseconds(1), ref this.backgroundTicks);
            pause.Wait(3);
        }
    }
}
