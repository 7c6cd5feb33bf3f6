using OpenTelemetry.Profiling.Configuration;

namespace OpenTelemetry.Profiling.Tests.Configuration;

[TestClass]
public sealed class ProfilingOptionsTests
{
    [TestMethod]
    public void Apply_WhenSetInCode_CodeWinsOverTheEnvironment()
    {
        var options = new ProfilingOptions { ExportInterval = TimeSpan.FromSeconds(5) };

        ProfilingOptionsEnvironmentReader.Apply(options, Env(("OTEL_DOTNET_PROFILING_EXPORT_INTERVAL", "20000")));

        Assert.AreEqual(TimeSpan.FromSeconds(5), options.ExportInterval);
    }

    [TestMethod]
    public void CpuSampler_ComesFromTheEnvironmentByName_AndAMalformedValueKeepsAuto()
    {
        var native = new ProfilingOptions();
        var runtime = new ProfilingOptions();
        var malformed = new ProfilingOptions();
        var number = new ProfilingOptions();
        var inCode = new ProfilingOptions { CpuSampler = CpuSampler.Native };

        ProfilingOptionsEnvironmentReader.Apply(native, Env(("OTEL_DOTNET_PROFILING_CPU_SAMPLER", "native")));
        ProfilingOptionsEnvironmentReader.Apply(runtime, Env(("OTEL_DOTNET_PROFILING_CPU_SAMPLER", " Runtime ")));
        ProfilingOptionsEnvironmentReader.Apply(malformed, Env(("OTEL_DOTNET_PROFILING_CPU_SAMPLER", "perf")));
        ProfilingOptionsEnvironmentReader.Apply(number, Env(("OTEL_DOTNET_PROFILING_CPU_SAMPLER", "2")));
        ProfilingOptionsEnvironmentReader.Apply(inCode, Env(("OTEL_DOTNET_PROFILING_CPU_SAMPLER", "runtime")));

        Assert.AreEqual(CpuSampler.Native, native.CpuSampler);
        Assert.AreEqual(CpuSampler.Runtime, runtime.CpuSampler);
        Assert.AreEqual(CpuSampler.Auto, malformed.CpuSampler);
        Assert.AreEqual(CpuSampler.Auto, number.CpuSampler, "names only, not enum numbers");
        Assert.AreEqual(CpuSampler.Native, inCode.CpuSampler, "code wins");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ProfilingOptions { CpuSampler = (CpuSampler)7 });
    }

    [TestMethod]
    public void Apply_WhenUnsetInCode_TakesTheEnvironment()
    {
        var options = new ProfilingOptions();

        ProfilingOptionsEnvironmentReader.Apply(options, Env(
            ("OTEL_DOTNET_PROFILING_EXPORT_INTERVAL", "20000"),
            ("OTEL_DOTNET_PROFILING_ENABLED", "false"),
            ("OTEL_DOTNET_PROFILING_MAX_STACKS", "500"),
            ("OTEL_DOTNET_PROFILING_SAMPLING_WINDOW", "500"),
            ("OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE", "0.25"),
            ("OTEL_DOTNET_PROFILING_TARGET_SAMPLES_PER_CPU_SECOND", "120"),
            ("OTEL_DOTNET_PROFILING_PYROSCOPE_PROFILE_ID", "true")));

        Assert.AreEqual(120, options.TargetSamplesPerCpuSecond);

        Assert.AreEqual(TimeSpan.FromMilliseconds(500), options.SamplingWindow);
        Assert.AreEqual(0.25, options.SamplingDutyCycle);
        Assert.IsTrue(options.AddPyroscopeProfileIdToSpans);
        Assert.AreEqual(TimeSpan.FromSeconds(20), options.ExportInterval);
        Assert.IsFalse(options.Enabled);
        Assert.AreEqual(500, options.MaxStacksPerInterval);
    }

    [TestMethod]
    public void Apply_WhenTheEnvironmentValueIsMalformed_KeepsTheDefaultAndReportsTheVariable()
    {
        using var listener = new ProfilingEventListener();
        var options = new ProfilingOptions();

        ProfilingOptionsEnvironmentReader.Apply(options, Env(("OTEL_DOTNET_PROFILING_EXPORT_INTERVAL", "-5"), ("OTEL_DOTNET_PROFILING_ENABLED", "maybe"), ("OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE", "2")));

        Assert.AreEqual(options.SamplingCycle, options.ExportInterval);
        Assert.IsTrue(options.Enabled);
        Assert.IsTrue(listener.Messages.Any(m => m.Contains("OTEL_DOTNET_PROFILING_EXPORT_INTERVAL", StringComparison.Ordinal)));
        Assert.IsTrue(listener.Messages.Any(m => m.Contains("OTEL_DOTNET_PROFILING_ENABLED", StringComparison.Ordinal)));
        Assert.AreEqual(0.1, options.SamplingDutyCycle);
        Assert.IsTrue(listener.Messages.Any(m => m.Contains("OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Apply_WhenTheRuntimeSamplingRateWasLowered_SamplesContinuouslyUnlessTheDutyCycleIsSet()
    {
        var lowered = new ProfilingOptions();
        var explicitDuty = new ProfilingOptions { SamplingDutyCycle = 0.2 };
        var envDuty = new ProfilingOptions();

        ProfilingOptionsEnvironmentReader.Apply(lowered, Env(("DOTNET_EventPipeThreadSamplingRate", "10")));
        ProfilingOptionsEnvironmentReader.Apply(explicitDuty, Env(("DOTNET_EventPipeThreadSamplingRate", "10")));
        ProfilingOptionsEnvironmentReader.Apply(envDuty, Env(("DOTNET_EventPipeThreadSamplingRate", "10"), ("OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE", "0.3")));

        Assert.AreEqual(1.0, lowered.SamplingDutyCycle);
        Assert.AreEqual(0.2, explicitDuty.SamplingDutyCycle);
        Assert.AreEqual(0.3, envDuty.SamplingDutyCycle);
    }

    [TestMethod]
    public void ExportInterval_WhenNotSet_FollowsTheSamplingCycleWithinItsBounds()
    {
        var defaults = new ProfilingOptions();
        var longCycle = new ProfilingOptions { SamplingWindow = TimeSpan.FromSeconds(3) };
        var shortCycle = new ProfilingOptions { SamplingWindow = TimeSpan.FromMilliseconds(500) };
        var rare = new ProfilingOptions { SamplingWindow = TimeSpan.FromSeconds(30), SamplingDutyCycle = 0.01 };
        var continuous = new ProfilingOptions { SamplingDutyCycle = 1 };
        var lowered = new ProfilingOptions();
        var fromEnvironment = new ProfilingOptions { SamplingWindow = TimeSpan.FromSeconds(3) };
        ProfilingOptionsEnvironmentReader.Apply(lowered, Env(("DOTNET_EventPipeThreadSamplingRate", "A")));
        ProfilingOptionsEnvironmentReader.Apply(fromEnvironment, Env(("OTEL_DOTNET_PROFILING_EXPORT_INTERVAL", "5000")));

        // One window per profile: each profile's count x period then estimates its own interval.
        Assert.AreEqual(defaults.SamplingWindow / defaults.SamplingDutyCycle, defaults.ExportInterval);
        Assert.AreEqual(TimeSpan.FromSeconds(30), longCycle.ExportInterval);
        Assert.AreEqual(TimeSpan.FromSeconds(10), shortCycle.ExportInterval, "never more often than every 10 s by default");
        Assert.AreEqual(TimeSpan.FromMinutes(10), rare.ExportInterval, "a 50-minute cycle is capped at the longest interval");
        Assert.AreEqual(TimeSpan.FromSeconds(10), continuous.ExportInterval);
        Assert.AreEqual(TimeSpan.FromSeconds(10), lowered.ExportInterval, "the runtime's lowered rate samples continuously");
        Assert.AreEqual(TimeSpan.FromSeconds(5), fromEnvironment.ExportInterval, "a value given is used as is");
    }

    [TestMethod]
    public void EffectiveTarget_SteersOnlyTheDefaultDutyCycle()
    {
        var defaults = new ProfilingOptions();
        var fixedDuty = new ProfilingOptions { SamplingDutyCycle = 0.1 };
        var envDuty = new ProfilingOptions();
        var lowered = new ProfilingOptions();
        var targetOff = new ProfilingOptions { TargetSamplesPerCpuSecond = 0 };

        ProfilingOptionsEnvironmentReader.Apply(envDuty, Env(("OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE", "0.05")));
        ProfilingOptionsEnvironmentReader.Apply(lowered, Env(("DOTNET_EventPipeThreadSamplingRate", "A")));

        Assert.AreEqual(55, defaults.EffectiveTargetSamplesPerCpuSecond);
        Assert.AreEqual(0, fixedDuty.EffectiveTargetSamplesPerCpuSecond, "an explicit duty cycle is used as is, even at the default's value");
        Assert.AreEqual(0, envDuty.EffectiveTargetSamplesPerCpuSecond);
        Assert.AreEqual(0, lowered.EffectiveTargetSamplesPerCpuSecond);
        Assert.AreEqual(0, targetOff.EffectiveTargetSamplesPerCpuSecond);
    }

    [TestMethod]
    public void Apply_WhenTheTargetIsMalformed_KeepsTheDefaultAndReportsTheVariable()
    {
        using var listener = new ProfilingEventListener();
        var options = new ProfilingOptions();

        ProfilingOptionsEnvironmentReader.Apply(options, Env(("OTEL_DOTNET_PROFILING_TARGET_SAMPLES_PER_CPU_SECOND", "20000")));

        Assert.AreEqual(55, options.TargetSamplesPerCpuSecond);
        Assert.IsTrue(listener.Messages.Any(m => m.Contains("OTEL_DOTNET_PROFILING_TARGET_SAMPLES_PER_CPU_SECOND", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Setters_WhenGivenAnOutOfRangeValue_ThrowNamingTheSetting()
    {
        var options = new ProfilingOptions();

        var interval = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.ExportInterval = TimeSpan.Zero);
        var stacks = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.MaxStacksPerInterval = 1);
        var duty = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.SamplingDutyCycle = double.NaN);
        var window = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.SamplingWindow = TimeSpan.FromMilliseconds(10));
        var target = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.TargetSamplesPerCpuSecond = -1);

        Assert.AreEqual("ExportInterval", interval.ParamName);
        Assert.AreEqual("MaxStacksPerInterval", stacks.ParamName);
        Assert.AreEqual("SamplingDutyCycle", duty.ParamName);
        Assert.AreEqual("SamplingWindow", window.ParamName);
        Assert.AreEqual("TargetSamplesPerCpuSecond", target.ParamName);
    }

    [TestMethod]
    [DataRow(10.0, 60.0)] // the default: one wall window a minute
    [DataRow(7.0, 63.0)] // a whole number of intervals, so each window falls halfway through one
    [DataRow(60.0, 60.0)]
    [DataRow(300.0, 300.0)] // intervals longer than a minute: one window per interval
    public void WallCycleWithNativeCpu_IsTheWholeNumberOfExportIntervalsThatFirstReachesAMinute(double exportSeconds, double expectedSeconds)
    {
        var options = new ProfilingOptions { ExportInterval = TimeSpan.FromSeconds(exportSeconds) };
        Assert.AreEqual(TimeSpan.FromSeconds(expectedSeconds), options.WallCycleWithNativeCpu);
    }

    [TestMethod]
    public void WallWindowWithNativeCpu_IsATenthOfTheSamplingWindow()
    {
        Assert.AreEqual(TimeSpan.FromMilliseconds(100), new ProfilingOptions().WallWindowWithNativeCpu);
        Assert.AreEqual(TimeSpan.FromMilliseconds(300), new ProfilingOptions { SamplingWindow = TimeSpan.FromSeconds(3) }.WallWindowWithNativeCpu);
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;
}
