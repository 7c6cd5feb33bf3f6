using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Tests.Correlation;

/// <summary>
/// Ground truth for span correlation: each simulated request burns CPU only at a recursion depth equal to
/// its index, so a sample's stack says which request (and which phase of it) was running, and the test knows
/// exactly which span must be linked. Requests hop threads across awaits, Task.Run and ConfigureAwait(false).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class SpanCorrelationAccuracyTests
{
    private const int Requests = 8;
    private const string SourceName = "SpanCorrelationAccuracyTests";
    private static readonly ActivitySource Source = new(SourceName);

    [TestMethod]
    public async Task Samples_AreLinkedToTheInnermostSpanActiveOnTheirThread()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var childSpans = new ConcurrentDictionary<int, ConcurrentBag<string>>();
        var rootSpans = new ConcurrentDictionary<int, ConcurrentBag<string>>();
        var backgroundSpans = new ConcurrentBag<string>();
        var requestSpans = new ConcurrentBag<string>();

        using var profiler = new ContinuousProfiler(new ProfilingOptions { ExportInterval = TimeSpan.FromMinutes(10), SamplingDutyCycle = 1, TargetSamplesPerCpuSecond = 250 }, [], () => ResourceBuilder.CreateEmpty().Build());
        Assert.IsTrue(profiler.Start());
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));

        var background = new Thread(() => Background(backgroundSpans, stop.Token)) { Name = "bg-with-span" };
        var unowned = new Thread(() => Unowned(stop.Token)) { Name = "bg-without-span" };
        background.Start();
        unowned.Start();
        var requests = Enumerable.Range(0, Requests)
            .Select(i => Task.Run(() => RequestLoop(i, rootSpans.GetOrAdd(i, _ => []), childSpans.GetOrAdd(i, _ => []), requestSpans, stop.Token)))
            .ToArray();
        await Task.WhenAll(requests);
        background.Join();
        unowned.Join();
        await Task.Delay(400); // samples reach the consumer 100-300 ms after they are taken

        var batch = profiler.CollectInterval();
        var tally = Tally(batch, childSpans, rootSpans, backgroundSpans, requestSpans);

        Console.WriteLine(tally);
        Assert.IsTrue(tally.InSpan >= 100, $"enough samples inside spans to judge: {tally}");
        Assert.IsTrue(tally.InSpanCorrect >= 0.99 * tally.InSpan, $"at least 99% of in-span samples linked to exactly their innermost span: {tally}");
        Assert.AreEqual(0, tally.BackgroundLinkedToRequest, $"no background sample is linked to a request span: {tally}");
        Assert.AreEqual(0, tally.AfterEndLinked, $"no sample after a span ended is linked to it: {tally}");
        Assert.IsTrue(tally.UnownedLinked == 0, $"the loop with no span stays unlinked: {tally}");
    }

    private static async Task RequestLoop(int index, ConcurrentBag<string> roots, ConcurrentBag<string> children, ConcurrentBag<string> all, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using (var root = Source.StartActivity("request-" + index, ActivityKind.Server)!)
            {
                roots.Add(root.SpanId.ToHexString());
                all.Add(root.SpanId.ToHexString());
                await Task.Yield();
                using (var child = Source.StartActivity("child-" + index)!)
                {
                    children.Add(child.SpanId.ToHexString());
                    all.Add(child.SpanId.ToHexString());
                    await Task.Run(() => Nest(index, Phase.Child, 2));
                    await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
                    Nest(index, Phase.Child, 2);
                    await Task.Yield();
                    Nest(index, Phase.Child, 1);
                }

                Nest(index, Phase.Root, 1);
                await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
                Nest(index, Phase.Root, 1);
            }

            Nest(index, Phase.AfterEnd, 1);
            await Task.Yield();
            Nest(index, Phase.AfterEnd, 1);
        }
    }

    private static void Background(ConcurrentBag<string> spans, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var span = Source.StartActivity("background-round")!;
            spans.Add(span.SpanId.ToHexString());
            BackgroundInSpan(3);
            Thread.Sleep(1);
        }
    }

    private static void Unowned(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            BackgroundWithoutSpan(2);
            Thread.Sleep(1);
        }
    }

    /// <summary>Recurses to depth <paramref name="index"/> + 1, then spins in the phase's own method.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Nest(int index, Phase phase, int milliseconds)
    {
        int result = index == 0
            ? phase switch
            {
                Phase.Child => SpinInChild(milliseconds),
                Phase.Root => SpinInRoot(milliseconds),
                _ => SpinAfterEnd(milliseconds),
            }
            : Nest(index - 1, phase, milliseconds);
        return result + 1; // keeps the recursion from becoming a tail call
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SpinInChild(int ms) => Spin(ms);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SpinInRoot(int ms) => Spin(ms);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SpinAfterEnd(int ms) => Spin(ms);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int BackgroundInSpan(int ms) => Spin(ms);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int BackgroundWithoutSpan(int ms) => Spin(ms);

    // Tier-0 code with a loop at first: Spin soon runs as its on-stack-replacement version, whose caller (the
    // phase the samples are judged by) a plain frame-pointer walk loses (FrameRepair puts it back).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Spin(int ms)
    {
        long end = Stopwatch.GetTimestamp() + (ms * Stopwatch.Frequency / 1000);
        int x = 0;
        while (Stopwatch.GetTimestamp() < end)
        {
            x++;
        }

        return x;
    }

    private static AccuracyTally Tally(
        ProfileBatch batch,
        ConcurrentDictionary<int, ConcurrentBag<string>> children,
        ConcurrentDictionary<int, ConcurrentBag<string>> roots,
        ConcurrentBag<string> background,
        ConcurrentBag<string> requests)
    {
        var d = batch.Dictionary;
        var childSets = children.ToDictionary(p => p.Key, p => p.Value.ToHashSet());
        var rootSets = roots.ToDictionary(p => p.Key, p => p.Value.ToHashSet());
        var backgroundSet = background.ToHashSet();
        var requestSet = requests.ToHashSet();
        var tally = new AccuracyTally();
        var cpu = batch.Profiles.Single(p => d.Strings[p.PeriodType.TypeStrIndex] == "cpu");
        foreach (var sample in cpu.Samples)
        {
            var names = d.Stacks[sample.StackIndex].LocationIndices
                .Select(l => d.Strings[d.Functions[d.Locations[l].FunctionIndex].NameStrIndex])
                .ToList();
            string? span = sample.LinkIndex == 0 ? null : d.Links[sample.LinkIndex].SpanIdHex;
            int depth = names.Count(n => n.EndsWith(".Nest", StringComparison.Ordinal));
            long n = sample.Value;
            if (depth == 0 && names.Any(x => x.EndsWith(".SpinInChild", StringComparison.Ordinal) || x.EndsWith(".SpinInRoot", StringComparison.Ordinal)))
            {
                // The frame-pointer walk can miss the caller of a leaf caught in its prologue or epilogue:
                // with its only Nest frame gone, the sample cannot tell which span it belongs to.
                tally.Unjudged += n;
                continue;
            }

            if (names.Any(x => x.EndsWith(".SpinInChild", StringComparison.Ordinal)))
            {
                tally.InSpan += n;
                tally.InSpanCorrect += span is not null && childSets[depth - 1].Contains(span) ? n : 0;
            }
            else if (names.Any(x => x.EndsWith(".SpinInRoot", StringComparison.Ordinal)))
            {
                tally.InSpan += n;
                tally.InSpanCorrect += span is not null && rootSets[depth - 1].Contains(span) ? n : 0;
            }
            else if (names.Any(x => x.EndsWith(".SpinAfterEnd", StringComparison.Ordinal)))
            {
                tally.AfterEnd += n;
                tally.AfterEndLinked += span is not null ? n : 0;
            }
            else if (names.Any(x => x.EndsWith(".BackgroundInSpan", StringComparison.Ordinal)))
            {
                tally.InSpan += n;
                tally.InSpanCorrect += span is not null && backgroundSet.Contains(span) ? n : 0;
                tally.BackgroundLinkedToRequest += span is not null && requestSet.Contains(span) ? n : 0;
            }
            else if (names.Any(x => x.EndsWith(".BackgroundWithoutSpan", StringComparison.Ordinal)))
            {
                tally.Unowned += n;
                tally.UnownedLinked += span is not null ? n : 0;
                tally.BackgroundLinkedToRequest += span is not null && requestSet.Contains(span) ? n : 0;
            }
        }

        return tally;
    }

    private enum Phase
    {
        Child,
        Root,
        AfterEnd,
    }

    private sealed class AccuracyTally
    {
        public long InSpan { get; set; }

        public long Unjudged { get; set; }

        public long InSpanCorrect { get; set; }

        public long AfterEnd { get; set; }

        public long AfterEndLinked { get; set; }

        public long Unowned { get; set; }

        public long UnownedLinked { get; set; }

        public long BackgroundLinkedToRequest { get; set; }

        public override string ToString() =>
            $"in-span {InSpanCorrect}/{InSpan} correct ({(InSpan == 0 ? 0 : 100.0 * InSpanCorrect / InSpan):F2}%), unjudged {Unjudged}, after-end linked {AfterEndLinked}/{AfterEnd}, unowned linked {UnownedLinked}/{Unowned}, background->request {BackgroundLinkedToRequest}";
    }
}
