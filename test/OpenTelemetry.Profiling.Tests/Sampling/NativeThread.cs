using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>The OS thread id EventPipe reports (Linux tid), which managed APIs do not expose.</summary>
internal static partial class NativeThread
{
    public static long CurrentOsThreadId() => OperatingSystem.IsLinux() ? GetTid() : -1;

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();
}
