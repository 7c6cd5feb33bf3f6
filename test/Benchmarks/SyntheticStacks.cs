using System.Diagnostics;

namespace OpenTelemetry.Profiling.Benchmarks;

/// <summary>
/// Realistic raw stacks without a running app: a pool of methods at plausible code addresses, stacks 20-40
/// frames deep that share their outer frames (host, middleware, thread pool) the way real request stacks do,
/// and samples drawn from them with a skew (a few hot stacks, a long tail).
/// </summary>
internal sealed class SyntheticStacks
{
    public const ulong CodeBase = 0x7F00_1000_0000;
    public const uint MethodSize = 0x400;
    public const int CallSitesPerMethod = 4;

    public SyntheticStacks(int distinctStacks, int methodCount, int seed = 42)
    {
        var random = new Random(seed);
        this.MethodCount = methodCount;
        var shared = Enumerable.Range(0, 12).Select(_ => Address(random, random.Next(methodCount))).ToArray();
        this.Stacks = new ulong[distinctStacks][];
        for (int s = 0; s < distinctStacks; s++)
        {
            int depth = random.Next(20, 41);
            var stack = new ulong[depth];
            int own = depth - shared.Length;
            for (int i = 0; i < own; i++)
            {
                stack[i] = Address(random, random.Next(methodCount));
            }

            // Outer frames (root last) are common to most stacks.
            shared.CopyTo(stack, own);
            this.Stacks[s] = stack;
        }
    }

    public int MethodCount { get; }

    /// <summary>Gets the distinct stacks, leaf first.</summary>
    public ulong[][] Stacks { get; }

    /// <summary>Picks a stack index with a skew: the first stacks are much hotter than the tail.</summary>
    public int PickStack(Random random)
    {
        double u = random.NextDouble();
        return (int)(this.Stacks.Length * u * u * u);
    }

    /// <summary>Spans as the app has them: server spans with a child or two.</summary>
    public static Activity[] CreateSpans(int count)
    {
        var spans = new Activity[count];
        for (int i = 0; i < count; i++)
        {
            var root = new Activity("GET /api/check").SetIdFormat(ActivityIdFormat.W3C).Start();
            root.DisplayName = i % 3 == 0 ? "GET /api/quota/{key}" : "GET /api/check";
            var child = new Activity("RateLimiter.Check").SetIdFormat(ActivityIdFormat.W3C).Start();
            spans[i] = i % 2 == 0 ? child : root;
            child.Stop();
            root.Stop();
        }

        Activity.Current = null;
        return spans;
    }

    // A caller frame's address is a return address after one of the method's few call sites.
    private static ulong Address(Random random, int method) => CodeBase + ((ulong)method * MethodSize) + (ulong)(0x40 * (1 + random.Next(CallSitesPerMethod)));
}
