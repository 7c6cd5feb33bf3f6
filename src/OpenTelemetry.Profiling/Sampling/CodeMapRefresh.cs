using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Decides when an address that no executable mapping covers is worth reading <c>/proc/self/maps</c> again for.
/// <para>
/// Such an address is either code mapped since the last read (a new native library, a ReadyToRun assembly loaded
/// later, a JIT code heap) or a value that a walk through native code without frame pointers picked up from the
/// stack: a pointer into memory the GC reserved, a hash, a counter. The second kind never stops coming, and each
/// read takes about a millisecond of the profiler's CPU, most of it in the kernel, which holds the process's
/// memory-map lock while it formats the ~1,300 lines of a .NET process. With reads allowed at 10 a second, the
/// profiler's threads in one profiled process on one core took 1.2 % of it, in another 0.3 %; with the back-off
/// below, 0.17-0.43 % in all 30 such processes measured. So a read that did not explain the address that caused
/// it doubles the wait before the next one (up to <see cref="MaxInterval"/>); one that did resets it, so a burst
/// of new code (start-up, a plugin loaded) is still found within <see cref="MinInterval"/>. Addresses that cannot be user-space code never cause a read.
/// </para>
/// </summary>
internal sealed class CodeMapRefresh
{
    /// <summary>The shortest wait between two reads, while reads keep finding the code they were made for.</summary>
    public static readonly long MinInterval = Stopwatch.Frequency / 10;

    /// <summary>The longest wait, reached after six reads in a row that found nothing.</summary>
    public static readonly long MaxInterval = 5 * Stopwatch.Frequency;

    /// <summary>
    /// The end of user space: x64 processes get addresses below 2^47 (the kernel hands out more only on request,
    /// and the runtime never asks), Arm64 ones below 2^48. Above it a value is not a code address.
    /// </summary>
    private static readonly ulong UserSpaceEnd = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 1UL << 48 : 1UL << 47;

    /// <summary>The lowest page the kernel maps (vm.mmap_min_addr): below it, small numbers, never code.</summary>
    private const ulong UserSpaceStart = 0x10000;

    private long interval = MinInterval;
    private long lastRead;

    /// <param name="readTimestamp">When the map in use was read (a <see cref="Stopwatch"/> timestamp).</param>
    public CodeMapRefresh(long readTimestamp) => this.lastRead = readTimestamp;

    /// <summary>Gets the wait now required between the last read and the next.</summary>
    public long Interval => this.interval;

    /// <summary>Tells whether an address can be user-space code at all.</summary>
    public static bool CanBeCode(ulong address) => address >= UserSpaceStart && address < UserSpaceEnd;

    /// <summary>
    /// Tells whether the map should be read again for <paramref name="address"/>, which no executable mapping in
    /// the map covers and no readable data mapping holds, at <paramref name="now"/>.
    /// </summary>
    public bool ShouldRead(ulong address, long now) => CanBeCode(address) && now - this.lastRead >= this.interval;

    /// <summary>Records a read made at <paramref name="now"/>, and whether it found code at the address it was made for.</summary>
    public void Read(long now, bool found)
    {
        this.lastRead = now;
        this.interval = found ? MinInterval : Math.Min(this.interval * 2, MaxInterval);
    }
}
