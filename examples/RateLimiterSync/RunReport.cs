using System.Globalization;
using OpenTelemetry.Profiling.Receiver;

namespace RateLimiterSync;

/// <summary>Everything the example prints: progress while it runs and the report at the end.</summary>
internal static class RunReport
{
    private const string Filter = "SyncLimits";

    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    public static void PrintStart(ExampleOptions options, TelemetryDestination destination, Uri service)
    {
        Line($"rate-limiter-sync listening on {service}");
        Line($"  telemetry (traces, metrics, profiles) -> {destination.Description}");
        Line($"  {options.KeyCount} API keys, {options.PeerCount} simulated peers, SyncLimits every {options.SyncInterval.TotalMilliseconds} ms");
        Line($"  load: {options.Clients} clients, {options.RequestsPerSecond} requests/s for {options.Duration.TotalSeconds} s; profiles exported {(options.ProfileExportInterval is { } interval ? $"every {interval.TotalSeconds} s" : "once per sampling cycle")}");
        Console.WriteLine();
    }

    public static void PrintProgress(TimeSpan elapsed, LoadStatistics load, LimitSyncService sync)
    {
        Line($"[{elapsed.TotalSeconds,5:F1}s] requests {load.Completed,6} (200: {load.Ok}, 429: {load.Limited}, failed: {load.Failed})   SyncLimits rounds {sync.Rounds,4}, {PerRound(sync.CpuTime, sync)} ms CPU each");
    }

    public static void PrintRun(TimeSpan elapsed, TimeSpan processCpu, LoadStatistics load, LimitSyncService sync)
    {
        double seconds = elapsed.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine("== Run ==");
        Line($"  {load.Completed} requests in {seconds:F1} s ({load.Completed / seconds:F0}/s): {load.Ok} allowed, {load.Limited} limited (429), {load.Failed} failed");
        if (ThreadCpuTime.IsSupported)
        {
            Line($"  SyncLimits: {sync.Rounds} rounds over {sync.PeerCount} peers, {PerRound(sync.CpuTime, sync)} ms CPU each ({PerRound(sync.BusyTime, sync)} ms wall) = {Percent(sync.CpuTime / elapsed)} of one core");
        }
        else
        {
            Line($"  SyncLimits: {sync.Rounds} rounds over {sync.PeerCount} peers, {PerRound(sync.BusyTime, sync)} ms wall each = up to {Percent(sync.BusyTime / elapsed)} of one core");
        }

        Line($"  peers converged after {sync.Rounds - sync.DivergedRounds} of {sync.Rounds} rounds; {sync.RejectedEntries} entries rejected for a bad signature");
        Line($"  process CPU: {processCpu.TotalSeconds:F1} s = {processCpu / elapsed:F2} cores on average; SyncLimits was {Percent((ThreadCpuTime.IsSupported ? sync.CpuTime : sync.BusyTime) / processCpu)} of it");
    }

    public static void PrintSent(SpanCounter spans, OtlpRequestCounter requests, TelemetryDiagnostics diagnostics)
    {
        Console.WriteLine();
        Console.WriteLine("== Sent ==");
        Line($"  spans handed to the exporter: {spans.BySource.Values.Sum()} ({string.Join(", ", spans.BySource.OrderByDescending(p => p.Value).Select(p => $"{p.Key}: {p.Value}"))})");
        foreach (string signal in new[] { "traces", "metrics" })
        {
            Line($"  {signal} export requests: {requests.Count(signal, "accepted")} accepted, {requests.Count(signal, "refused")} refused, {requests.Count(signal, "failed")} failed");
        }

        Line($"  profile exports: {diagnostics.ProfileExports} succeeded, {diagnostics.ProfilesSent} profiles, {diagnostics.ProfileSamplesSent} sample records");
    }

    public static void PrintReceived(LocalOtlpReceiver receiver)
    {
        var spans = receiver.Spans;
        Console.WriteLine();
        Line($"== Received by the embedded receiver ({receiver.GrpcEndpoint}) ==");
        Line($"  spans: {spans.Count}");
        foreach (var group in spans.GroupBy(span => span.Name).OrderByDescending(g => g.Count()).Take(8))
        {
            Line($"    {group.Count(),7}  {group.Key}");
        }

        Line($"  metric export requests: {receiver.MetricRequestCount}");
        Line($"  profile export requests: {receiver.ProfileRequestCount}");
        var violations = receiver.ValidateProfiles();
        if (violations.Count > 0)
        {
            Line($"  profile validation: {violations.Count} violation(s), first: {violations[0]}");
        }

        Console.WriteLine();
        Console.WriteLine("== Profiles ==");
        if (receiver.ProfileRequestCount == 0)
        {
            Console.WriteLine("  No profiles arrived (see the problems below, if any).");
            return;
        }

        var summary = receiver.SummarizeProfiles(top: 10, stackFilter: Filter);
        summary.Print(Console.Out);

        // Every linked span, not just the top ones, to add CPU up by span name.
        var everyLink = receiver.SummarizeProfiles(top: int.MaxValue, stackFilter: Filter);
        var cpu = summary.ProfileTypes.FirstOrDefault(IsCpu) ?? summary.ProfileTypes[0];
        var cpuLinks = everyLink.ProfileTypes.FirstOrDefault(IsCpu) ?? everyLink.ProfileTypes[0];
        Console.WriteLine();
        Line($"  => {Percent(cpu.StackFilterShare)} of the sampled CPU has {Filter} on the stack.");
        PrintCpuBySpanName(cpuLinks, spans);
        PrintRequestBesideSyncLimits(cpuLinks);
        PrintBeyondCpu(everyLink);
    }

    public static void PrintProblems(TelemetryDiagnostics diagnostics)
    {
        if (diagnostics.Problems.Count == 0)
        {
            return;
        }

        Console.WriteLine();
        Console.WriteLine("== Problems reported by OpenTelemetry ==");
        foreach (var (message, count) in diagnostics.Problems.OrderByDescending(p => p.Value).Take(10))
        {
            Line($"  {count,5}x {message}");
        }
    }

    // Joins the profile's span links with the spans received: which kind of work the CPU went to.
    private static void PrintCpuBySpanName(ProfileTypeSummary cpu, IReadOnlyList<ReceivedSpan> spans)
    {
        if (cpu.TopLinks.Count == 0)
        {
            Console.WriteLine("     No samples are linked to spans.");
            return;
        }

        var nameBySpanId = spans.GroupBy(span => span.SpanId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);
        var byName = cpu.TopLinks
            .GroupBy(link => nameBySpanId.GetValueOrDefault(link.SpanId, "(span not exported: the embedded receiver's own requests)"))
            .Select(g => (Name: g.Key, Share: g.Sum(link => link.Share), Spans: g.Count()))
            .OrderByDescending(entry => entry.Share)
            .ToList();
        Console.WriteLine("     CPU samples by span name:");
        foreach (var (name, share, count) in byName)
        {
            Line($"    {Percent(share),7}  {name} ({count} span(s))");
        }

        Line($"    {Percent(1 - byName.Sum(entry => entry.Share)),7}  (no span: runtime, server plumbing, exporters)");
    }

    // The flame graph of one endpoint across all its requests next to the loop no request owns, from the
    // local_root_span.name attribute every linked sample carries.
    private static void PrintRequestBesideSyncLimits(ProfileTypeSummary cpu)
    {
        var request = cpu.Endpoints.FirstOrDefault(e => IsRequest(e.Name));
        var sync = cpu.Endpoints.FirstOrDefault(e => e.Name == Filter);
        double requestShare = cpu.Endpoints.Where(e => IsRequest(e.Name)).Sum(e => e.Share);
        Console.WriteLine();
        Console.WriteLine("== One endpoint beside SyncLimits (top functions by self CPU, all spans of each) ==");
        const int Width = 58;
        string Title(EndpointShare? e, string fallback) => e is null ? fallback : $"{e.Name} ({Percent(e.Share)} of CPU)";
        Console.WriteLine($"  {Clip(Title(request, "(no request samples)"), Width),-Width}  {Title(sync, "(no SyncLimits samples)")}");
        for (int i = 0; i < 8; i++)
        {
            string left = request is not null && i < request.TopSelf.Count ? $"{Percent(request.TopSelf[i].Share),6} {request.TopSelf[i].Function}" : string.Empty;
            string right = sync is not null && i < sync.TopSelf.Count ? $"{Percent(sync.TopSelf[i].Share),6} {sync.TopSelf[i].Function}" : string.Empty;
            Console.WriteLine($"  {Clip(left, Width),-Width}  {right}");
        }

        Line($"  => CPU that no request span owns: {Percent(1 - requestShare)} (SyncLimits {Percent(sync?.Share ?? 0)}, no span at all {Percent(cpu.Endpoints.FirstOrDefault(e => e.Name.Length == 0)?.Share ?? 0)})");
    }

    // Wall time, allocations, lock contention and exceptions: how much of each SyncLimits accounts for, and
    // its hot spot.
    private static void PrintBeyondCpu(ProfileSummary summary)
    {
        Console.WriteLine();
        Console.WriteLine("== Beyond CPU: SyncLimits' share and hot spot per profile type ==");
        foreach (var type in summary.ProfileTypes.Where(t => !IsCpu(t)))
        {
            var sync = type.Endpoints.FirstOrDefault(e => e.Name == Filter);
            string hotSpot = sync is { TopSelf.Count: > 0 } ? $"{sync.TopSelf[0].Function} ({Percent(sync.TopSelf[0].Share)} of it)" : "-";
            Line($"  {type.SampleType + " (" + type.PeriodType + ")",-38} total {type.TotalValue,14:N0}   SyncLimits {Percent(sync?.Share ?? 0),6}   hot spot: {hotSpot}");
        }
    }

    private static bool IsRequest(string endpointName) =>
        endpointName.StartsWith("GET ", StringComparison.Ordinal) || endpointName.StartsWith("POST ", StringComparison.Ordinal)
        || endpointName == "GET" || endpointName == "POST";

    private static string Clip(string text, int width) => text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");

    private static void Line(FormattableString text) => Console.WriteLine(text.ToString(Culture));

    private static string PerRound(TimeSpan total, LimitSyncService sync) =>
        (sync.Rounds == 0 ? 0 : total.TotalMilliseconds / sync.Rounds).ToString("F1", Culture);

    private static bool IsCpu(ProfileTypeSummary type) => type.PeriodType.StartsWith("cpu", StringComparison.Ordinal);

    private static string Percent(double share) => share.ToString("P1", Culture);
}
