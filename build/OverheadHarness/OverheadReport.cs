using System.Globalization;

namespace OverheadHarness;

/// <summary>
/// Turns the blocks into ratios. Each round's "on" and "peer" blocks are compared with the same round's "off"
/// block, so slow drift of the machine cancels; the spread of the per-round ratios gives the standard error.
/// </summary>
internal static class OverheadReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void PrintBlock(int round, BlockResult block)
    {
        string label = round == 0 ? "warm-up" : round.ToString(Invariant);
        Console.WriteLine(string.Create(Invariant, $"{label,7}  {block.Mode,-4}  {block.Throughput,9:F0}  {block.P50Milliseconds,7:F3}  {block.P99Milliseconds,7:F3}  {block.CpuSeconds,6:F2}  {block.CpuPerRequestMicroseconds,8:F1}  {block.RssMegabytes,7:F1}"));
    }

    public static void PrintHeader() =>
        Console.WriteLine("  round  mode      req/s   p50 ms   p99 ms   cpu s  cpu us/req   rss MB");

    /// <summary>Prints the summary table; returns the mean on/off throughput ratio.</summary>
    public static double PrintSummary(IReadOnlyList<IReadOnlyDictionary<BlockMode, BlockResult>> rounds, bool peer)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(Invariant, $"ratios over {rounds.Count} rounds (mean +- standard error of the per-round ratios)"));
        Console.WriteLine(peer ? "                                  on/off (default)        peer/off (dotnet-trace)" : "                                  on/off (default)");
        double throughput = Row("throughput", rounds, peer, b => b.Throughput);
        Row("p50 latency", rounds, peer, b => b.P50Milliseconds);
        Row("p99 latency", rounds, peer, b => b.P99Milliseconds);
        Row("cpu time", rounds, peer, b => b.CpuSeconds);
        Row("app cpu time", rounds, peer, b => b.AppCpuSeconds);
        Row("cpu time per request", rounds, peer, b => b.CpuPerRequestMicroseconds);
        Difference("rss difference (MB)", rounds, peer, b => b.RssMegabytes);

        var exports = rounds.Select(r => r[BlockMode.On].Profiler!).ToList();
        double lifetime = exports.Sum(e => e.LifetimeSeconds);
        double bytesPerMinute = exports.Sum(e => e.Bytes) / lifetime * 60;
        string peerBytes = string.Empty;
        if (peer)
        {
            var peers = rounds.Select(r => r[BlockMode.Peer]).ToList();
            peerBytes = string.Create(Invariant, $"{peers.Sum(p => p.PeerTraceBytes) / peers.Sum(p => p.PeerSeconds) * 60,15:N0} (trace file)");
        }

        Console.WriteLine(string.Create(Invariant, $"{"bytes exported per minute",-32}{bytesPerMinute,15:N0}         {peerBytes}"));

        var onBlocks = rounds.Select(r => r[BlockMode.On]).ToList();
        Console.WriteLine(string.Create(Invariant, $"{"profiler threads' cpu share",-32}{Format(onBlocks.Select(b => b.ProfilerThreadCpuSeconds / b.CpuSeconds).ToList())}        (its own threads; EventPipe's threads (sampler, streaming): {Format(onBlocks.Select(b => b.EventPipeThreadCpuSeconds / b.CpuSeconds).ToList()).Trim()})"));

        long blockSamples = exports.Sum(e => e.BlockSamples);
        double blockCpu = exports.Sum(e => e.BlockProfilesCpuSeconds);
        double blockUserCpu = exports.Sum(e => e.BlockProfilesUserCpuSeconds);
        long samples = exports.Sum(e => e.Samples);
        double cpu = exports.Sum(e => e.CpuSeconds);
        Console.WriteLine(string.Create(Invariant, $"{"samples per process cpu-s",-32}{blockSamples / blockCpu,15:F1}          (steady state: {blockSamples:N0} samples in the CPU profiles that began in the measured blocks / {blockCpu:F1} process cpu-s during those profiles; whole lifetimes incl. start-up: {samples / cpu:F1}, {exports.Count} lifetimes of {lifetime / exports.Count:F1} s, {exports.Sum(e => e.Requests)} export requests)"));
        Console.WriteLine(string.Create(Invariant, $"{"samples per user-mode cpu-s",-32}{blockSamples / blockUserCpu,15:F1}          (the same over {blockUserCpu:F1} user-mode cpu-s, the CPU the runtime's sampler can see: the kernel took {1 - (blockUserCpu / blockCpu):P0})"));
        return throughput;
    }

    private static double Row(string name, IReadOnlyList<IReadOnlyDictionary<BlockMode, BlockResult>> rounds, bool peer, Func<BlockResult, double> measure)
    {
        var on = Ratios(rounds, BlockMode.On, measure);
        string peerText = peer ? Format(Ratios(rounds, BlockMode.Peer, measure)) : string.Empty;
        Console.WriteLine(string.Create(Invariant, $"{name + " ratio",-32}{Format(on)}        {peerText}"));
        return on.Average();
    }

    private static void Difference(string name, IReadOnlyList<IReadOnlyDictionary<BlockMode, BlockResult>> rounds, bool peer, Func<BlockResult, double> measure)
    {
        var on = rounds.Select(r => measure(r[BlockMode.On]) - measure(r[BlockMode.Off])).ToList();
        string peerText = peer ? Format(rounds.Select(r => measure(r[BlockMode.Peer]) - measure(r[BlockMode.Off])).ToList()) : string.Empty;
        Console.WriteLine(string.Create(Invariant, $"{name,-32}{Format(on)}        {peerText}"));
    }

    /// <summary>The in-cycle estimate of the sampling windows' cost (see <see cref="WindowCostMeter"/>).</summary>
    public static void PrintWindowCost(IReadOnlyList<double> losses)
    {
        if (losses.Count < 2)
        {
            Console.WriteLine("sampling windows' cost, in-cycle: too few windows judged (run more rounds)");
            return;
        }

        Console.WriteLine(string.Create(Invariant, $"{"sampling windows' cost, in-cycle",-32}{Format([.. losses])}        (throughput lost per sampling cycle: 100 ms readings from 0.2 s before each of {losses.Count} windows of the measured 'on' blocks to 0.5 s after it closed, against the 2 s before and 4 s after; leaves out the costs that never pause)"));
    }

    /// <summary>
    /// The window study's curve: per target rate, the windows' in-cycle cost and the samples it bought; then
    /// where in the cycle the throughput went (share missing per 100 ms reading, by offset from each window's
    /// opening, mean over that target's windows).
    /// </summary>
    public static void PrintWindowStudy(IReadOnlyList<string> labels, IReadOnlyList<StudyStretch> stretches, IReadOnlyList<JudgedWindow> windows)
    {
        Console.WriteLine();
        Console.WriteLine(" set-up  windows  planned s  window s  in-cycle cost (mean +- SE)   samples per user-mode cpu-s   req/s (mean)");
        var judgedByLabel = labels.ToDictionary(label => label, label => windows.Where(window => window.Label == label).ToList());
        foreach (string label in labels)
        {
            var judged = judgedByLabel[label];
            var losses = judged.Select(window => window.Loss).ToList();
            string planned = judged.Count == 0 ? "-" : string.Create(Invariant, $"{judged.Average(window => window.Planned.TotalSeconds):F2}");
            string length = judged.Count == 0 ? "-" : string.Create(Invariant, $"{judged.Average(window => window.Length.TotalSeconds):F2}");
            var mine = stretches.Where(stretch => stretch.Label == label).ToList();
            string cost = losses.Count < 2 ? "      too few windows judged" : Format(losses);
            Console.WriteLine(string.Create(Invariant, $"{label,7}  {losses.Count,7}  {planned,9}  {length,8}  {cost,-27}  {mine.Sum(stretch => stretch.Samples) / mine.Sum(stretch => stretch.UserCpuSeconds),27:F1}   {mine.Average(stretch => stretch.Throughput),12:F0}"));
        }

        Console.WriteLine();
        Console.WriteLine("share of throughput missing in the 100 ms reading ending at each offset from the window's opening (mean over windows; the default set-up's windows last under a second):");
        Console.WriteLine("offset s" + string.Concat(labels.Select(label => string.Create(Invariant, $"  {"set-up " + label,12}"))));
        for (int bin = 0; bin < WindowCostMeter.ProfileBins; bin++)
        {
            var row = new System.Text.StringBuilder(string.Create(Invariant, $"{WindowCostMeter.ProfileReadingEnd(bin).TotalSeconds,8:F1}"));
            foreach (string label in labels)
            {
                var values = judgedByLabel[label].Select(window => window.Profile[bin]).Where(value => !double.IsNaN(value)).ToList();
                row.Append(values.Count == 0 ? $"  {"-",12}" : string.Create(Invariant, $"  {values.Average(),12:P1}"));
            }

            Console.WriteLine(row);
        }
    }

    /// <summary>With the collector down, the app's throughput against profiling with the collector up (same rounds).</summary>
    public static void PrintCollectorDown(IReadOnlyList<IReadOnlyDictionary<BlockMode, BlockResult>> rounds)
    {
        var downOverOn = rounds.Select(r => r[BlockMode.Down].Throughput / r[BlockMode.On].Throughput).ToList();
        var downOverOff = Ratios(rounds, BlockMode.Down, b => b.Throughput);
        Console.WriteLine(string.Create(Invariant, $"collector down: throughput down/on {Format(downOverOn)}, down/off {Format(downOverOff)}"));
    }

    /// <summary>Everything but the windows against off, and the default against it: what the windows cost, all of it.</summary>
    public static void PrintNoSampling(IReadOnlyList<IReadOnlyDictionary<BlockMode, BlockResult>> rounds)
    {
        var onOverNoSampling = rounds.Select(r => r[BlockMode.On].Throughput / r[BlockMode.NoSampling].Throughput).ToList();
        var noSamplingOverOff = Ratios(rounds, BlockMode.NoSampling, b => b.Throughput);
        var cpu = Ratios(rounds, BlockMode.NoSampling, b => b.CpuSeconds);
        Console.WriteLine(string.Create(Invariant, $"no sampling windows: throughput no-sampling/off {Format(noSamplingOverOff)} (cpu time {Format(cpu)}), on/no-sampling {Format(onOverNoSampling)} (the windows, all their cost)"));
    }

    private static List<double> Ratios(IReadOnlyList<IReadOnlyDictionary<BlockMode, BlockResult>> rounds, BlockMode mode, Func<BlockResult, double> measure) =>
        rounds.Select(r => measure(r[mode]) / measure(r[BlockMode.Off])).ToList();

    /// <summary>Mean +- standard error.</summary>
    internal static string Format(List<double> values)
    {
        double mean = values.Average();
        double error = values.Count < 2 ? double.NaN : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) / values.Count);
        return string.Create(Invariant, $"{mean,9:F4} +- {error:F4}");
    }
}
