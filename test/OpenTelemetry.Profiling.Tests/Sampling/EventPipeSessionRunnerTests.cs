using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
[DoNotParallelize]
public sealed class EventPipeSessionRunnerTests
{
    [TestMethod]
    public void Run_WhenTheHandlerThrows_ContainsTheFailureAndReportsIt()
    {
        using var listener = new ProfilingEventListener();
        var excluded = new List<int>();

        using var runner = EventPipeSessionRunner.Start(
            "Throwing",
            [new EventPipeProvider(RuntimeEvents.SampleProfilerProvider, EventLevel.Informational)],
            rundownKeyword: 0,
            requestStackwalk: true,
            bufferSizeMB: 4,
            new ThrowingHandler(),
            id => { lock (excluded) { excluded.Add(id); } });

        // The first event arrives with the runtime's first flush; a failure after Stop is not reported (the
        // stream is ending), so wait for the report rather than a fixed time.
        Assert.IsTrue(
            SpinWait.SpinUntil(() => listener.Messages.Any(f => f.Contains("handler bug", StringComparison.Ordinal)), TimeSpan.FromSeconds(30)),
            "the failure is reported through self-diagnostics");
        Assert.IsTrue(runner.Stop(TimeSpan.FromSeconds(5)), "the reader thread ended instead of taking the process down");
        lock (excluded)
        {
            Assert.AreEqual(1, excluded.Count, "the reader thread excluded itself from profiles");
        }
    }

    private sealed class ThrowingHandler : INetTraceEventHandler
    {
        public void OnTraceStart(in NetTraceHeader header)
        {
        }

        public void OnEvent(in NetTraceEvent e) => throw new InvalidOperationException("handler bug");

        public void OnSequencePoint(long timestampQpc)
        {
        }
    }
}
