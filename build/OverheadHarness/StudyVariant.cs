using System.Globalization;

namespace OverheadHarness;

/// <summary>
/// One set-up the window study compares: a target rate and, optionally, the sampling window at the full duty
/// cycle (which sets the cycle: window ÷ 0.1). Written <c>60</c> or <c>60@2</c> (2 s window, 20 s cycle).
/// </summary>
/// <param name="Label">How the command line wrote it; the report's row name.</param>
/// <param name="Target">TargetSamplesPerCpuSecond.</param>
/// <param name="Window">SamplingWindow, or null for the default.</param>
internal sealed record StudyVariant(string Label, int Target, TimeSpan? Window)
{
    public static StudyVariant Parse(string text)
    {
        string[] parts = text.Trim().Split('@');
        if (parts.Length > 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int target) || target is < 1 or > 10_000)
        {
            throw new FormatException($"--window-study: '{text}' is not a target rate from 1 to 10000, optionally followed by @<window seconds>.");
        }

        TimeSpan? window = null;
        if (parts.Length == 2)
        {
            if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds >= 0.1 && seconds <= 60))
            {
                throw new FormatException($"--window-study: the window in '{text}' must be a number of seconds from 0.1 to 60.");
            }

            window = TimeSpan.FromSeconds(seconds);
        }

        return new StudyVariant(text.Trim(), target, window);
    }
}
