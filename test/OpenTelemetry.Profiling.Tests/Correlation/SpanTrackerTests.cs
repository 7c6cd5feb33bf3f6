using System.Diagnostics;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
[DoNotParallelize]
public sealed class SpanTrackerTests
{
    [TestMethod]
    public async Task Tracker_WhenAContinuationResumesOnAnotherThread_RecordsTheSpanOnThatThread()
    {
        SpanTracker.Start();
        try
        {
            using var source = new ActivitySource("SpanTrackerTests");
            using var listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == "SpanTrackerTests",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            };
            ActivitySource.AddActivityListener(listener);

            using var span = source.StartActivity("request")!;
            await Task.Yield();
            await Task.Delay(1).ConfigureAwait(false);

            // Now on some pool thread that picked the continuation up: its history must say "span".
            int thread = OsThread.CurrentId;
            long now = Stopwatch.GetTimestamp();
            Assert.IsTrue(SpanTracker.TryGetHistory(thread, out var history));
            Assert.AreEqual(SpanLookupResult.Found, history!.TryGetStateAt(now, out SpanKey state));
            Assert.AreEqual(SpanKey.From(span), state);
        }
        finally
        {
            SpanTracker.Stop();
        }
    }

    [TestMethod]
    public void EnterProfilerWork_MarksTheFlowAsTheProfilersOwnWork()
    {
        SpanTracker.Start();
        try
        {
            using (SpanTracker.EnterProfilerWork())
            {
                using var ignored = new Activity("exporter-http").Start();
                Assert.IsTrue(SpanTracker.TryGetHistory(OsThread.CurrentId, out var history));
                history!.TryGetStateAt(Stopwatch.GetTimestamp(), out SpanKey state);
                Assert.IsTrue(state.IsProfilerWork, "spans started inside the exporter do not unmark it");
            }
        }
        finally
        {
            SpanTracker.Stop();
        }
    }
}
