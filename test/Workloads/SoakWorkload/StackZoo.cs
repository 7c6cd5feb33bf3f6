using System.Diagnostics;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace SoakWorkload;

/// <summary>
/// CPU work whose stacks rarely repeat: eight mutually recursive steps chosen by the bits of a random path
/// (8^depth distinct stacks at depth 6-16), generic steps instantiated over value types (distinct code per
/// instantiation), and dynamic methods emitted afresh every few seconds and then dropped (new code addresses
/// all the time, old ones collected and reused). Everything the profiler's stack and symbol tables must
/// bound, trim or reset per interval.
/// </summary>
internal static class StackZoo
{
    private static readonly Func<int, ulong, double>[] Steps = [Step0, Step1, Step2, Step3, Step4, Step5, Step6, Step7];
    private static Func<int, ulong, double> dynamicEntry = Step0;

    public static long DynamicMethodsEmitted { get; private set; }

    /// <summary>One unit of work: a random recursion path, through a generic or a dynamic method now and then.</summary>
    public static double Run(Random random)
    {
        int depth = random.Next(6, 17);
        ulong path = (ulong)random.NextInt64();
        return (path % 5) switch
        {
            0 => Generic<Box<byte>>.Enter(depth, path),
            1 => Generic<Box<Box<int>>>.Enter(depth, path),
            2 => Volatile.Read(ref dynamicEntry)(depth, path),
            _ => Steps[path & 7](depth, path >> 3),
        };
    }

    /// <summary>Replaces the dynamic entry point with a newly emitted method (the previous one becomes garbage).</summary>
    public static void EmitNewDynamicEntry()
    {
        var method = new DynamicMethod("DynamicEntry" + DynamicMethodsEmitted, typeof(double), [typeof(int), typeof(ulong)], typeof(StackZoo).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Call, typeof(StackZoo).GetMethod(nameof(Step3), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!);
        il.Emit(OpCodes.Ret);
        Volatile.Write(ref dynamicEntry, method.CreateDelegate<Func<int, ulong, double>>());
        DynamicMethodsEmitted++;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Step0(int depth, ulong path) => depth == 0 ? Leaf(path) : Steps[path & 7](depth - 1, path >> 3) + 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Step1(int depth, ulong path) => depth == 0 ? Leaf(path) : Steps[path & 7](depth - 1, path >> 3) + 2;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Step2(int depth, ulong path) => depth == 0 ? Leaf(path) : Steps[path & 7](depth - 1, path >> 3) + 3;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Step3(int depth, ulong path) => depth == 0 ? Leaf(path) : Steps[path & 7](depth - 1, path >> 3) + 4;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Step4(int depth, ulong path) => depth == 0 ? Leaf(path) : Steps[path & 7](depth - 1, path >> 3) + 5;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Step5(int depth, ulong path) => depth == 0 ? Leaf(path) : Steps[path & 7](depth - 1, path >> 3) + 6;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Step6(int depth, ulong path) => depth == 0 ? Leaf(path) : Steps[path & 7](depth - 1, path >> 3) + 7;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Step7(int depth, ulong path) => depth == 0 ? Leaf(path) : Steps[path & 7](depth - 1, path >> 3) + 8;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Leaf(ulong path)
    {
        // About 20 us of arithmetic, so samples land in every level of the recursion.
        long end = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 50_000);
        double x = path;
        while (Stopwatch.GetTimestamp() < end)
        {
            x = Math.Sqrt(x + 1);
        }

        return x;
    }

    // An empty value type: each Box<...> nesting is its own instantiation with its own code.
    private readonly struct Box<T>
    {
    }

    private static class Generic<T>
        where T : struct
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static double Enter(int depth, ulong path) => depth <= 1
            ? Steps[path & 7](depth, path >> 3)
            : (path & 1) == 0 ? Generic<Box<T>>.Enter(depth - 1, path >> 1) : Steps[path & 7](depth - 1, path >> 3);
    }
}
