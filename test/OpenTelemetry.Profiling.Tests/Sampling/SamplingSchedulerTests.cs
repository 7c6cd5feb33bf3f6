using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class SamplingSchedulerTests
{
    [TestMethod]
    [DataRow(0.1, 1.0, 0.1)]
    [DataRow(0.1, 0.75, 0.1)]
    [DataRow(0.1, 0.5, 0.25)]
    [DataRow(0.1, 0.25, 0.4)]
    [DataRow(0.1, 0.0, 0.4)]
    [DataRow(0.5, 0.0, 1.0)]
    public void AdaptiveDutyCycle_RaisesTheDutyCycleOnlyWhenTheProcessLeavesCpuHeadroom(double configured, double cpuShare, double expected)
    {
        Assert.AreEqual(expected, SamplingScheduler.AdaptiveDutyCycle(configured, cpuShare), 1e-9);
    }
}
