using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Gives the C heap's free pages back to the operating system. EventPipe keeps a session's events in buffers
/// from the C heap and frees them when the session ends, but glibc keeps freed memory in its arenas, so every
/// sampling window and the start-up rundown would leave their peak buffer use in the process's resident set.
/// Called after the rundown, after each sampling window and after each export interval (0.2-2.3 ms a call in
/// the soak, whose C heap spans 16 arenas and about 30 MB). It trims the whole process's C heap, the app's
/// free pages included. Linux with glibc only; elsewhere (or with a C library that lacks <c>malloc_trim</c>)
/// it does nothing.
/// </summary>
internal static partial class NativeHeap
{
    private static int unavailable = OperatingSystem.IsLinux() ? 0 : 1;

    /// <summary>Returns free C-heap pages to the OS; cheap enough to call after every sampling window.</summary>
    public static void Trim()
    {
        if (Volatile.Read(ref unavailable) != 0)
        {
            return;
        }

        try
        {
            // 1 when memory was released, 0 when there was none to release: either is fine.
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // musl and other C libraries without malloc_trim.
            Volatile.Write(ref unavailable, 1);
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
