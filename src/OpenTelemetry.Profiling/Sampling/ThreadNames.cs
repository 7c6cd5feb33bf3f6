using System.Globalization;
using OpenTelemetry.Profiling.Correlation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Names threads by OS id: the managed <see cref="Thread.Name"/> when the thread is known to the span tracker,
/// otherwise the OS name from <c>/proc/self/task/{id}/comm</c> (what the runtime sets, e.g. <c>.NET TP Worker</c>).
/// Looked up once per thread per interval, at export time, never on the sampling path.
/// </summary>
internal static class ThreadNames
{
    public static string? Get(int osThreadId)
    {
        if (SpanTracker.TryGetHistory(osThreadId, out var history) && history!.Thread.Name is { Length: > 0 } managedName)
        {
            return managedName;
        }

        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            string path = "/proc/self/task/" + osThreadId.ToString(CultureInfo.InvariantCulture) + "/comm";
            return File.Exists(path) ? File.ReadAllText(path).TrimEnd('\n') : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
