using System.Runtime.InteropServices;

namespace RateLimiterSync;

/// <summary>
/// The CPU time consumed by the calling thread, from the OS. Wall-clock time around a round overstates its
/// cost whenever the machine is busy; this is the ground truth the profile's SyncLimits share is checked against.
/// </summary>
internal static class ThreadCpuTime
{
    private const int LinuxClockThreadCpuTimeId = 3;
    private const int MacClockThreadCpuTimeId = 16;

    /// <summary>Gets a value indicating whether the OS can tell a thread's CPU time (Linux, macOS, Windows).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsWindows();

    /// <summary>Reads the calling thread's CPU time (user and kernel); <see cref="TimeSpan.Zero"/> where unsupported.</summary>
    public static TimeSpan Now()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            int clock = OperatingSystem.IsLinux() ? LinuxClockThreadCpuTimeId : MacClockThreadCpuTimeId;
            return NativeMethods.clock_gettime(clock, out var time) == 0
                ? TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / TimeSpan.NanosecondsPerTick))
                : TimeSpan.Zero;
        }

        if (OperatingSystem.IsWindows())
        {
            // FILETIME durations are in 100 ns units, the same as TimeSpan ticks.
            return NativeMethods.GetThreadTimes(NativeMethods.GetCurrentThread(), out _, out _, out long kernel, out long user)
                ? TimeSpan.FromTicks(kernel + user)
                : TimeSpan.Zero;
        }

        return TimeSpan.Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int clock_gettime(int clockId, out TimeSpec time);

        [DllImport("kernel32")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool GetThreadTimes(IntPtr thread, out long creation, out long exit, out long kernel, out long user);

        [DllImport("kernel32")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern IntPtr GetCurrentThread();
    }
}
