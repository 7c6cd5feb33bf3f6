using System.Runtime.InteropServices;
using OpenTelemetry.Profiling.Sampling;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
[DoNotParallelize] // reads the process's resident set, and starts a profiler
public sealed class NativeHeapTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Trim_AfterBuffersAreFreed_GivesTheirPagesBackToTheSystem()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("malloc_trim is glibc's");
        }

        // Many small blocks, as EventPipe's buffers are, freed while a later block keeps the heap's top in use.
        long afterFree = AllocateAndFree24MB(out nint pin);
        try
        {
            NativeHeap.Trim();
            long afterTrim = ResidentBytes();

            this.TestContext.WriteLine($"resident after free {afterFree / 1048576.0:F1} MB, after trim {afterTrim / 1048576.0:F1} MB");
            Assert.IsGreaterThan(12L * 1024 * 1024, afterFree - afterTrim, "most of the 24 MB freed went back to the system");
        }
        finally
        {
            FreePin(pin);
        }
    }

    [TestMethod]
    public async Task Profiler_GivesWhatTheCHeapFreedBackToTheSystemAtEachExportInterval()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("malloc_trim is glibc's");
        }

        // No wall profile, so no sampling window trims: only the start-up rundown and the export loop do.
        var options = new ProfilingOptions { ExportInterval = TimeSpan.FromSeconds(1), WallTimeEnabled = false };
        using var profiler = new ContinuousProfiler(options, [], () => ResourceBuilder.CreateEmpty().Build());
        Assert.IsTrue(profiler.Start());
        await Task.Delay(1_000);

        // Twice, so the rundown's one trim cannot account for both.
        for (int round = 0; round < 2; round++)
        {
            long afterFree = AllocateAndFree24MB(out nint pin);
            try
            {
                await Task.Delay(2_500); // two intervals or more
                long later = ResidentBytes();
                this.TestContext.WriteLine($"round {round}: resident after free {afterFree / 1048576.0:F1} MB, two intervals later {later / 1048576.0:F1} MB");
                Assert.IsGreaterThan(12L * 1024 * 1024, afterFree - later, $"round {round}: most of the 24 MB freed went back to the system");
            }
            finally
            {
                FreePin(pin);
            }
        }
    }

    /// <summary>
    /// Allocates 24 MB in small blocks, then a block that keeps the heap's top in use, frees the 24 MB and returns
    /// the resident set then (glibc keeps such freed memory in its arena).
    /// </summary>
    private static unsafe long AllocateAndFree24MB(out nint pin)
    {
        const int Blocks = 24 * 1024;
        const int BlockSize = 1024;
        var blocks = new nint[Blocks];
        for (int i = 0; i < Blocks; i++)
        {
            byte* block = (byte*)NativeMemory.Alloc(BlockSize);
            new Span<byte>(block, BlockSize).Fill(0x5A);
            blocks[i] = (nint)block;
        }

        pin = (nint)NativeMemory.Alloc(BlockSize);
        for (int i = 0; i < Blocks; i++)
        {
            NativeMemory.Free((void*)blocks[i]);
        }

        return ResidentBytes();
    }

    private static unsafe void FreePin(nint pin) => NativeMemory.Free((void*)pin);

    /// <summary>The resident set, read fresh from /proc (Environment.WorkingSet can be cached).</summary>
    private static long ResidentBytes()
    {
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }
}
