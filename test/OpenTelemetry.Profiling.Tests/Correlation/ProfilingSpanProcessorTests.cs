using System.Diagnostics;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Tests.Correlation;

[TestClass]
public sealed class ProfilingSpanProcessorTests
{
    [TestMethod]
    public void OnEnd_WhenTheOptionIsOff_AddsNoAttribute()
    {
        using var processor = new ProfilingSpanProcessor();
        using var span = new Activity("x") { ActivityTraceFlags = ActivityTraceFlags.Recorded }.Start();
        span.IsAllDataRequested = true;

        processor.OnEnd(span);

        Assert.IsNull(span.GetTagItem(ProfilingSpanProcessor.PyroscopeProfileIdAttribute));
    }

    [TestMethod]
    public void OnEnd_WhenTheSpanMayHaveSamples_AddsItsSpanIdAsPyroscopeProfileId()
    {
        using var processor = new ProfilingSpanProcessor { MayHaveSamples = _ => true };
        using var span = new Activity("x").Start();
        span.IsAllDataRequested = true;

        processor.OnEnd(span);

        Assert.AreEqual(span.SpanId.ToHexString(), span.GetTagItem("pyroscope.profile.id"));
    }

    [TestMethod]
    public void OnEnd_WhenNoSamplingWindowWasOpenDuringTheSpan_AddsNoAttribute()
    {
        using var processor = new ProfilingSpanProcessor { MayHaveSamples = _ => false };
        using var span = new Activity("x").Start();
        span.IsAllDataRequested = true;

        processor.OnEnd(span);

        Assert.IsNull(span.GetTagItem("pyroscope.profile.id"));
    }
}
