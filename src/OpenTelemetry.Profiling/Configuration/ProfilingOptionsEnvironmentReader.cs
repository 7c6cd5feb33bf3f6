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
        if (!options.IsEnabledSet && Read(getEnvironmentVariable, ProfilingEnvironmentVariables.Enabled) is { } enabled)
        {
            if (bool.TryParse(enabled, out bool value))
            {
                options.Enabled = value;
            }
            else
            {
                Invalid(ProfilingEnvironmentVariables.Enabled, enabled, "Expected true or false.");
            }
        }

        if (!options.IsAddPyroscopeProfileIdToSpansSet && Read(getEnvironmentVariable, ProfilingEnvironmentVariables.PyroscopeProfileId) is { } pyroscope)
        {
            if (bool.TryParse(pyroscope, out bool value))
            {
                options.AddPyroscopeProfileIdToSpans = value;
            }
            else
            {
                Invalid(ProfilingEnvironmentVariables.PyroscopeProfileId, pyroscope, "Expected true or false.");
            }
        }

        if (!options.IsExportIntervalSet && Read(getEnvironmentVariable, ProfilingEnvironmentVariables.ExportInterval) is { } interval)
        {
            if (int.TryParse(interval, NumberStyles.None, CultureInfo.InvariantCulture, out int ms)
                && TimeSpan.FromMilliseconds(ms) is var span
                && span >= ProfilingOptions.MinExportInterval && span <= ProfilingOptions.MaxExportInterval)
            {
                options.ExportInterval = span;
            }
            else
            {
                Invalid(ProfilingEnvironmentVariables.ExportInterval, interval, "Expected milliseconds between 1000 and 600000.");
            }
        }

        if (!options.IsMaxStacksSet && Read(getEnvironmentVariable, ProfilingEnvironmentVariables.MaxStacks) is { } maxStacks)
        {
            if (int.TryParse(maxStacks, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value is >= 100 and <= 1_000_000)
            {
                options.MaxStacksPerInterval = value;
            }
            else
            {
                Invalid(ProfilingEnvironmentVariables.MaxStacks, maxStacks, "Expected a whole number between 100 and 1000000.");
            }
        }

        if (!options.IsSamplingWindowSet && Read(getEnvironmentVariable, ProfilingEnvironmentVariables.SamplingWindow) is { } window)
        {
            if (int.TryParse(window, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms is >= 100 and <= 60_000)
            {
                options.SamplingWindow = TimeSpan.FromMilliseconds(ms);
            }
            else
            {
                Invalid(ProfilingEnvironmentVariables.SamplingWindow, window, "Expected milliseconds between 100 and 60000.");
            }
        }

        if (!options.IsSamplingDutyCycleSet && Read(getEnvironmentVariable, ProfilingEnvironmentVariables.SamplingDutyCycle) is { } duty)
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
    }

    private static string? Read(Func<string, string?> getEnvironmentVariable, string name)
    {
        string? value = getEnvironmentVariable(name)?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static void Invalid(string name, string value, string reason) =>
        ProfilingEventSource.Log.InvalidEnvironmentVariable(name, value, reason);
}
