using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The operating-system id of the current thread: the id EventPipe puts on samples of that thread.
/// Cached per thread, so only a thread's first call pays for the system call.
/// </summary>
internal static partial class OsThread
{
    private const int PrSetName = 15;

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

    /// <summary>
    /// Names the calling thread for the operating system (<c>top -H</c>, <c>/proc/self/task/*/comm</c>), which keeps
    /// 15 bytes: the runtime cuts <see cref="Thread.Name"/> there, and every "OpenTelemetry.Profiling.*" thread
    /// would show as "OpenTelemetry.P". Linux only; elsewhere, or when the call fails, nothing changes.
    /// </summary>
    /// <param name="name">ASCII, at most 15 characters (longer names are cut).</param>
    public static unsafe void SetCurrentName(string name)
    {
        if (!Supported)
        {
            return;
        }

        byte* buffer = stackalloc byte[16];
        int length = Math.Min(name.Length, 15);
        for (int i = 0; i < length; i++)
        {
            buffer[i] = name[i] < 0x80 ? (byte)name[i] : (byte)'?';
        }

        buffer[length] = 0;
        try
        {
            _ = SetName(PrSetName, buffer, 0, 0, 0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libc without prctl: the runtime's cut name stays.
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static unsafe partial int SetName(int option, byte* name, nint unused3, nint unused4, nint unused5);
}
