using System.Diagnostics;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
public sealed class ProfilingSpanProcessorTests
{
    [TestMethod]
    public void OnEnd_WhenTheOptionIsOff_AddsNoAttribute()
    {
        using var processor = new ProfilingSpanProcessor { Active = true };
        using var span = new Activity("x") { ActivityTraceFlags = ActivityTraceFlags.Recorded }.Start();
        span.IsAllDataRequested = true;

        processor.OnEnd(span);

        Assert.IsNull(span.GetTagItem(ProfilingSpanProcessor.PyroscopeProfileIdAttribute));
    }

    [TestMethod]
    public void OnEnd_WhenTheSpanMayHaveSamples_AddsItsSpanIdAsPyroscopeProfileId()
    {
        using var processor = new ProfilingSpanProcessor { Active = true, MayHaveSamples = _ => true };
        using var span = new Activity("x").Start();
        span.IsAllDataRequested = true;

        processor.OnEnd(span);

        Assert.AreEqual(span.SpanId.ToHexString(), span.GetTagItem("pyroscope.profile.id"));
    }

    [TestMethod]
    public void OnEnd_WhenNoSamplingWindowWasOpenDuringTheSpan_AddsNoAttribute()
    {
        using var processor = new ProfilingSpanProcessor { Active = true, MayHaveSamples = _ => false };
        using var span = new Activity("x").Start();
        span.IsAllDataRequested = true;

        processor.OnEnd(span);

        Assert.IsNull(span.GetTagItem("pyroscope.profile.id"));
    }

    [TestMethod]
    public void OnEnd_WhenNoProfilerRuns_LeavesTheSpanAndTheEndpointNamesAlone()
    {
        // The processor is in the tracer provider even when profiling is switched off or has stopped.
        using var processor = new ProfilingSpanProcessor { MayHaveSamples = _ => true };
        using var span = new Activity("early-name").SetIdFormat(ActivityIdFormat.W3C).Start();
        span.IsAllDataRequested = true;
        var key = SpanTracker.KeyOf(span);
        span.DisplayName = "GET /final-name";

        processor.OnEnd(span);

        Assert.IsNull(span.GetTagItem("pyroscope.profile.id"));
        Assert.AreEqual("early-name", SpanNames.Of(key), "the root's final name is not recorded");

        processor.Active = true;
        processor.OnEnd(span);
        Assert.AreEqual("GET /final-name", SpanNames.Of(key), "recorded once a profiler runs");
    }
}
