using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The operating-system id of the current thread: the id EventPipe puts on samples of that thread.
/// Cached per thread, so only a thread's first call pays for the system call.
/// </summary>
internal static partial class OsThread
{
    [ThreadStatic]
    private static int currentId;

    private static readonly bool Supported = OperatingSystem.IsLinux();

    /// <summary>Gets the OS id of the calling thread, or 0 where it cannot be known.</summary>
    public static int CurrentId
    {
        get
        {
            int id = currentId;
            if (id == 0 && Supported)
            {
                id = currentId = GetTid();
            }

            return id;
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();
}
