using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.NETCore.Client;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>Runs the reader against a real in-process EventPipe session of the test process.</summary>
[TestClass]
[DoNotParallelize]
public sealed class LiveEventPipeTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public void Session_WhenBusyThreadRuns_DeliversSamplesAndMethodLoadsOfThatThread()
    {
        EventPipeProvider[] providers =
        [
            new(RuntimeEvents.SampleProfilerProvider, EventLevel.Informational),
            new(RuntimeEvents.RuntimeProvider, EventLevel.Verbose, RuntimeEvents.JitKeyword | RuntimeEvents.LoaderKeyword | RuntimeEvents.CompilationDiagnosticKeyword),
        ];
        long before = Stopwatch.GetTimestamp();
        var handler = new LiveHandler();
        long busyTid = 0;
        NetTraceEndReason end;
        using (EventPipeSession session = new DiagnosticsClient(Environment.ProcessId).StartEventPipeSession(new EventPipeSessionConfiguration(providers, 64, 0, true)))
        {
            using var reader = new NetTraceReader(session.EventStream, handler);
            var readerTask = Task.Factory.StartNew(() => reader.Run(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var busy = new Thread(() =>
            {
                Volatile.Write(ref busyTid, NativeThread.CurrentOsThreadId());
                BusyLoop(TimeSpan.FromSeconds(1));
            })
            { Name = "busy-worker", IsBackground = true };
            busy.Start();
            busy.Join();
            session.Stop();
            end = readerTask.Wait(TimeSpan.FromSeconds(30)) ? readerTask.Result : throw new TimeoutException("reader did not finish");
        }

        long after = Stopwatch.GetTimestamp();

        Assert.AreEqual(NetTraceEndReason.EndOfTrace, end);
        Assert.AreEqual(Environment.ProcessId, handler.Header.ProcessId);
        Assert.AreEqual(Stopwatch.Frequency, handler.Header.QpcFrequency, "EventPipe timestamps use the Stopwatch clock");
        List<ulong[]> busyStacks = handler.Samples.Where(s => s.ThreadId == busyTid).Select(s => s.Stack).ToList();
        TestContext.WriteLine($"samples={handler.Samples.Count} busy={busyStacks.Count} methodLoads={handler.MethodLoads.Count} r2r={handler.R2REntryPoints} events={handler.Count}");
        Assert.IsGreaterThan(25, busyStacks.Count, "the busy thread is sampled (about once per ms on an idle machine; far less when the machine is loaded)");
        Assert.IsTrue(busyStacks.All(s => s.Length > 0), "every sample carries a stack");

        List<(ulong Start, uint Size)> busyLoops = handler.MethodLoads.Where(m => m.Name == nameof(BusyLoop) && m.Namespace.EndsWith(nameof(LiveEventPipeTests), StringComparison.Ordinal)).Select(m => (m.Start, m.Size)).ToList();
        Assert.IsNotEmpty(busyLoops, "MethodLoadVerbose reports the busy method with its name");
        Assert.IsTrue(busyLoops.All(m => m.Start != 0 && m.Size > 0));
        int inBusyLoop = busyStacks.Count(stack => stack.Any(ip => busyLoops.Any(m => ip >= m.Start && ip < m.Start + m.Size)));
        Assert.IsGreaterThan(busyStacks.Count / 2, inBusyLoop, "sampled instruction pointers fall inside the reported code range");

        Assert.IsTrue(handler.Timestamps.All(t => t >= before && t <= after), "timestamps lie on the Stopwatch clock within the session");
        Assert.AreEqual(0, handler.NonMonotonicCaptureThreads, "timestamps never go back on a capture thread");
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public void Session_WhenRundownRequested_EnumeratesLoadedMethodsAtStop()
    {
        EventPipeProvider[] providers = [new(RuntimeEvents.RuntimeProvider, EventLevel.Informational, RuntimeEvents.LoaderKeyword)];
        var handler = new LiveHandler();
        NetTraceEndReason end;
        long stopMs;
        using (EventPipeSession session = new DiagnosticsClient(Environment.ProcessId).StartEventPipeSession(new EventPipeSessionConfiguration(providers, 256, RuntimeEvents.DefaultRundownKeywords, false)))
        {
            using var reader = new NetTraceReader(session.EventStream, handler);
            var readerTask = Task.Factory.StartNew(() => reader.Run(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            Thread.Sleep(200);
            var stopwatch = Stopwatch.StartNew();
            session.Stop();
            end = readerTask.Wait(TimeSpan.FromSeconds(60)) ? readerTask.Result : throw new TimeoutException("reader did not finish");
            stopMs = stopwatch.ElapsedMilliseconds;
        }

        var runInternal = handler.RundownMethods.Where(m => m.Name == "RunInternal" && m.Namespace == "System.Threading.ExecutionContext").ToList();
        int withoutJitFlag = handler.RundownMethods.Count(m => (m.Flags & 0x8) == 0);
        TestContext.WriteLine($"rundown: methods={handler.RundownMethods.Count} precompiled(no jitted flag)={withoutJitFlag} modules={handler.RundownModules} stop+drain={stopMs}ms complete={handler.RundownComplete}");
        foreach (var m in runInternal)
        {
            TestContext.WriteLine($"  {m.Namespace}.{m.Name} start=0x{m.Start:X} size={m.Size} flags=0x{m.Flags:X}");
        }

        Assert.AreEqual(NetTraceEndReason.EndOfTrace, end);
        Assert.IsTrue(handler.RundownComplete, "DCEndComplete closes the rundown");
        Assert.IsGreaterThan(100, handler.RundownMethods.Count);
        Assert.IsGreaterThan(0, handler.RundownModules);
        Assert.IsTrue(handler.RundownMethods.All(m => m.Start != 0));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double BusyLoop(TimeSpan duration)
    {
        var stopwatch = Stopwatch.StartNew();
        double acc = 0;
        while (stopwatch.Elapsed < duration)
        {
            for (int i = 1; i < 10_000; i++)
            {
                acc += Math.Sqrt(i) / i;
            }
        }

        return acc;
    }

    private sealed class LiveHandler : INetTraceEventHandler
    {
        private readonly Dictionary<long, long> _lastTimestampByCaptureThread = [];

        public NetTraceHeader Header { get; private set; }

        public int Count { get; private set; }

        public List<(long ThreadId, ulong[] Stack)> Samples { get; } = [];

        public List<(string Namespace, string Name, ulong Start, uint Size, uint Flags)> MethodLoads { get; } = [];

        public List<(string Namespace, string Name, ulong Start, uint Size, uint Flags)> RundownMethods { get; } = [];

        public int RundownModules { get; private set; }

        public bool RundownComplete { get; private set; }

        public int R2REntryPoints { get; private set; }

        public List<long> Timestamps { get; } = [];

        public int NonMonotonicCaptureThreads { get; private set; }

        public void OnTraceStart(in NetTraceHeader header) => Header = header;

        public void OnSequencePoint(long timestampQpc)
        {
        }

        public void OnEvent(in NetTraceEvent e)
        {
            Count++;
            Timestamps.Add(e.TimestampQpc);
            if (_lastTimestampByCaptureThread.TryGetValue(e.CaptureThreadId, out long last) && e.TimestampQpc < last)
            {
                NonMonotonicCaptureThreads++;
            }

            _lastTimestampByCaptureThread[e.CaptureThreadId] = e.TimestampQpc;
            switch (e.Metadata.Kind)
            {
                case KnownEventKind.ThreadSample:
                    Samples.Add((e.ThreadId, e.Stack.ToArray()));
                    break;
                case KnownEventKind.MethodLoadVerbose when RuntimeEventDecoders.TryReadMethodLoad(in e, out MethodLoadData m):
                    MethodLoads.Add((m.MethodNamespace.ToString(), m.MethodName.ToString(), m.MethodStartAddress, m.MethodSize, m.MethodFlags));
                    break;
                case KnownEventKind.RundownMethodDCEndVerbose when RuntimeEventDecoders.TryReadMethodLoad(in e, out MethodLoadData m):
                    RundownMethods.Add((m.MethodNamespace.ToString(), m.MethodName.ToString(), m.MethodStartAddress, m.MethodSize, m.MethodFlags));
                    break;
                case KnownEventKind.RundownModuleDCEnd when RuntimeEventDecoders.TryReadModuleLoad(in e, out ModuleLoadData module) && module.ModuleILPath.Length > 0:
                    RundownModules++;
                    break;
                case KnownEventKind.RundownDCEndComplete:
                    RundownComplete = true;
                    break;
                case KnownEventKind.R2RGetEntryPoint when RuntimeEventDecoders.TryReadR2REntryPoint(in e, out R2REntryPointData r2r) && r2r.EntryPoint != 0:
                    R2REntryPoints++;
                    break;
                default:
                    break;
            }
        }
    }
}
