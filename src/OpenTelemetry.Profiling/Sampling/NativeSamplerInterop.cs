using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>The entry points of <c>libotelprof_sampler.so</c> (<c>Native/otelprof_sampler.c</c>).</summary>
internal static unsafe partial class NativeSamplerInterop
{
    public const string LibraryFileName = "libotelprof_sampler.so";
    public const int MaxFrames = 128;
    public const int StackCopyBytes = 4096;
    public const int MaxBridges = 4;

    private const string Library = "otelprof_sampler";

    [LibraryImport(Library, EntryPoint = "otelprof_sampler_sample_size")]
    public static partial int SampleSize();

    /// <summary>Takes the sampler for this profiler: 0, or -errno (-16, EBUSY: taken).</summary>
    [LibraryImport(Library, EntryPoint = "otelprof_sampler_acquire")]
    public static partial int Acquire(int ringBits);

    [LibraryImport(Library, EntryPoint = "otelprof_sampler_release")]
    public static partial void Release();

    /// <summary>Arms a timer on a thread's CPU clock: the timer (at least 0), or -errno.</summary>
    [LibraryImport(Library, EntryPoint = "otelprof_sampler_arm")]
    public static partial long Arm(int tid, long periodNanos);

    [LibraryImport(Library, EntryPoint = "otelprof_sampler_disarm")]
    public static partial void Disarm(long timer);

    /// <summary>Copies the next complete sample: 1, or 0 when there is none.</summary>
    [LibraryImport(Library, EntryPoint = "otelprof_sampler_next")]
    public static partial int Next(Sample* into);

    /// <summary>Reads bytes of this process's memory; false when any of them is not readable (never a fault).</summary>
    public static bool ReadOwnMemory(ulong address, byte[] destination)
    {
        fixed (byte* into = destination)
        {
            return Read(address, into, destination.Length) == 0;
        }
    }

    [LibraryImport(Library, EntryPoint = "otelprof_sampler_read")]
    private static partial int Read(ulong address, byte* into, int bytes);

    [LibraryImport(Library, EntryPoint = "otelprof_sampler_lost")]
    public static partial ulong Lost();

    /// <summary>One sample, laid out as <c>struct sample</c> in the C code.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Sample
    {
        public int Tid;
        public int FrameCount;
        public long TimestampNanos;
        public ulong Ip;
        public ulong Sp;
        public ulong Fp;
        public uint StackBytes;
        public ushort Scanned;
        public ushort Overrun;

        /// <summary>How many of <see cref="BridgeFrames"/> and <see cref="BridgeReturns"/> are set.</summary>
        public ushort Bridges;

        /// <summary>Frames (indexes into <see cref="Frames"/>) that may be a leftover address above an on-stack-replacement version, each with the return address found where the caller's would be (<see cref="FrameRepair"/>).</summary>
        public fixed ushort BridgeFrames[MaxBridges];
        public fixed ushort Reserved[3];
        public fixed ulong BridgeReturns[MaxBridges];
        public fixed ulong Frames[MaxFrames];
        public fixed byte Stack[StackCopyBytes];
    }
}
