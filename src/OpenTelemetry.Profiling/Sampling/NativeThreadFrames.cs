namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// The frames that stand for CPU time the native sampler found in native code alone (no managed frame on the
/// stack): the runtime's own threads, named by what they do, so that a GC storm or a burst of JIT compilation
/// shows in the CPU profile instead of vanishing from it. Their addresses are small numbers no code has.
/// </summary>
internal static class NativeThreadFrames
{
    public const ulong Gc = 2;
    public const ulong Jit = 3;
    public const ulong Other = 4;

    internal const string GcName = "[native: garbage collector]";
    internal const string JitName = "[native: JIT compiler]";
    internal const string OtherName = "[native: runtime and other native code]";

    /// <summary>The frame's name, or null when the address is not one of these frames.</summary>
    public static string? NameOf(ulong address) => address switch
    {
        Gc => GcName,
        Jit => JitName,
        Other => OtherName,
        _ => null,
    };

    /// <summary>Which frame a thread's native CPU time goes to, by the thread's name as the kernel shows it (15 characters).</summary>
    public static ulong ForThread(ReadOnlySpan<char> name)
    {
        if (name.StartsWith(".NET Tiered Com", StringComparison.Ordinal))
        {
            return Jit;
        }

        // ".NET BGC" (background GC), ".NET Server GC", ".NET GC" and the server GC's background threads.
        return name.StartsWith(".NET", StringComparison.Ordinal) && (name.Contains(" GC", StringComparison.Ordinal) || name.Contains("BGC", StringComparison.Ordinal))
            ? Gc
            : Other;
    }
}
