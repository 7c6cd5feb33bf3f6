using System.Runtime.InteropServices;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class NativeHeapTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public unsafe void Trim_AfterBuffersAreFreed_GivesTheirPagesBackToTheSystem()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("malloc_trim is glibc's");
        }

        // Many small blocks, as EventPipe's buffers are, freed while a later block keeps the heap's top in use:
        // glibc keeps such memory in its arena after free().
        const int Blocks = 24 * 1024;
        const int BlockSize = 1024;
        var blocks = new nint[Blocks];
        for (int i = 0; i < Blocks; i++)
        {
            byte* block = (byte*)NativeMemory.Alloc(BlockSize);
            new Span<byte>(block, BlockSize).Fill(0x5A);
            blocks[i] = (nint)block;
        }

        void* pin = NativeMemory.Alloc(BlockSize);
        try
        {
            for (int i = 0; i < Blocks; i++)
            {
                NativeMemory.Free((void*)blocks[i]);
            }

            long afterFree = ResidentBytes();
            NativeHeap.Trim();
            long afterTrim = ResidentBytes();

            this.TestContext.WriteLine($"resident after free {afterFree / 1048576.0:F1} MB, after trim {afterTrim / 1048576.0:F1} MB");
            Assert.IsGreaterThan(12L * 1024 * 1024, afterFree - afterTrim, "most of the 24 MB freed went back to the system");
        }
        finally
        {
            NativeMemory.Free(pin);
        }
    }

    /// <summary>The resident set, read fresh from /proc (Environment.WorkingSet can be cached).</summary>
    private static long ResidentBytes()
    {
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }
}
