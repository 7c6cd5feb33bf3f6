using System.Globalization;
using OpenTelemetry.Profiling.Diagnostics;

namespace OpenTelemetry.Profiling.Configuration;

/// <summary>
/// Fills the settings left unset in code from the environment. A malformed value is reported through
/// self-diagnostics and the default is kept: the environment never makes the application fail.
/// </summary>
internal static class ProfilingOptionsEnvironmentReader
{
    public static void Apply(ProfilingOptions options, Func<string, string?> getEnvironmentVariable)
    {
        var reader = new Reader(getEnvironmentVariable);
        reader.Bool(ProfilingEnvironmentVariables.Enabled, options.IsEnabledSet, v => options.Enabled = v);
        reader.Bool(ProfilingEnvironmentVariables.PyroscopeProfileId, options.IsAddPyroscopeProfileIdToSpansSet, v => options.AddPyroscopeProfileIdToSpans = v);
        reader.Bool(ProfilingEnvironmentVariables.WallEnabled, options.IsWallTimeEnabledSet, v => options.WallTimeEnabled = v);
        reader.Bool(ProfilingEnvironmentVariables.AllocationsEnabled, options.IsAllocationsEnabledSet, v => options.AllocationsEnabled = v);
        reader.Bool(ProfilingEnvironmentVariables.LockContentionEnabled, options.IsLockContentionEnabledSet, v => options.LockContentionEnabled = v);
        reader.Bool(ProfilingEnvironmentVariables.ExceptionsEnabled, options.IsExceptionsEnabledSet, v => options.ExceptionsEnabled = v);
        reader.Int(ProfilingEnvironmentVariables.ExportInterval, options.IsExportIntervalSet, 1000, 600_000, "milliseconds", v => options.ExportInterval = TimeSpan.FromMilliseconds(v));
        reader.Int(ProfilingEnvironmentVariables.MaxStacks, options.IsMaxStacksSet, 100, 1_000_000, "a whole number", v => options.MaxStacksPerInterval = v);
        reader.Int(ProfilingEnvironmentVariables.TargetSamplesPerCpuSecond, options.IsTargetSamplesPerCpuSecondSet, 0, 10_000, "a whole number", v => options.TargetSamplesPerCpuSecond = v);
        reader.Int(ProfilingEnvironmentVariables.SamplingWindow, options.IsSamplingWindowSet, 100, 60_000, "milliseconds", v => options.SamplingWindow = TimeSpan.FromMilliseconds(v));

        string? sampler = options.IsCpuSamplerSet ? null : reader.Read(ProfilingEnvironmentVariables.CpuSampler);
        if (sampler is not null)
        {
            if (Enum.TryParse(sampler, ignoreCase: true, out CpuSampler value) && Enum.IsDefined(value) && !char.IsAsciiDigit(sampler[0]))
            {
                options.CpuSampler = value;
            }
            else
            {
                Invalid(ProfilingEnvironmentVariables.CpuSampler, sampler, "Expected auto, native or runtime.");
            }
        }

        string? duty = options.IsSamplingDutyCycleSet ? null : reader.Read(ProfilingEnvironmentVariables.SamplingDutyCycle);
        if (duty is not null)
        {
            if (double.TryParse(duty, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value is >= 0.01 and <= 1)
            {
                options.SamplingDutyCycle = value;
            }
            else
            {
                Invalid(ProfilingEnvironmentVariables.SamplingDutyCycle, duty, "Expected a number between 0.01 and 1.");
            }
        }
        else if (!options.IsSamplingDutyCycleSet && reader.Read(ProfilingEnvironmentVariables.RuntimeSamplingRate) is not null)
        {
            // The operator lowered the runtime's own sampling rate at process start: sampling continuously at
            // that rate is cheaper per sample than windows at the default 1 ms.
            options.SamplingDutyCycle = 1;
        }
    }

    private static void Invalid(string name, string value, string reason) =>
        ProfilingEventSource.Log.InvalidEnvironmentVariable(name, value, reason);

    private readonly struct Reader(Func<string, string?> getEnvironmentVariable)
    {
        public string? Read(string name)
        {
            string? value = getEnvironmentVariable(name)?.Trim();
            return string.IsNullOrEmpty(value) ? null : value;
        }

        public void Bool(string name, bool setInCode, Action<bool> apply)
        {
            if (setInCode || this.Read(name) is not { } text)
            {
                return;
            }

            if (bool.TryParse(text, out bool value))
            {
                apply(value);
            }
            else
            {
                Invalid(name, text, "Expected true or false.");
            }
        }

        public void Int(string name, bool setInCode, int min, int max, string what, Action<int> apply)
        {
            if (setInCode || this.Read(name) is not { } text)
            {
                return;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
            {
                apply(value);
            }
            else
            {
                Invalid(name, text, string.Create(CultureInfo.InvariantCulture, $"Expected {what} between {min} and {max}."));
            }
        }
    }
}
