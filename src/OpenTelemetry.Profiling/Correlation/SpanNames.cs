using System.Collections.Concurrent;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// Names of local root spans (the endpoint, e.g. <c>GET /api/check</c>) without keeping activities alive:
/// names are interned to small ids when a span becomes current, and the span processor records each root's
/// final display name when it ends (ASP.NET Core learns the route after the span started), kept two seconds
/// for samples processed after the fact. Both tables are bounded.
/// <para>
/// The final names are kept as name ids in tables that allocate nothing per root: ASP.NET Core builds a new
/// display name string for every request, and a table holding those strings (and a node per root) for seconds
/// promoted thousands of objects a second into the oldest generation, which doubled the app's GC pauses.
/// </para>
/// </summary>
internal static class SpanNames
{
    private const int MaxNames = 10_000;
    internal const int MaxRoots = 20_000;
    // Samples reach the consumer 100-300 ms after they were taken; a root's final name is looked up then.
    // Kept longer than that, but not much: the table's size (and its cache misses on the app's threads) is
    // the rate of roots times this.
    // Milliseconds of Environment.TickCount64: a coarse clock, cheaper than the Stopwatch on every root's end.
    private const long KeepEndedMilliseconds = 2_000;

    private static readonly CountedDictionary<string, int> Ids = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<int, string> Names = new();

    // The roots that ended within KeepEndedMilliseconds: root span id -> final name id, and the same ids in the order
    // they ended (a ring, oldest at rootsHead), to forget them oldest first. Both grow to the rate of roots
    // times KeepEndedMilliseconds, at most MaxRoots, and are then reused as they are.
    private static readonly Lock RootsGate = new();
    private static readonly Dictionary<ulong, int> FinalRootNames = [];
    private static (ulong Id, long EndedAt)[] endedRoots = new (ulong, long)[64];
    private static int rootsHead;
    private static int rootsCount;
    private static int nextId;
    private static long dropped;

    // Most spans becoming current on a thread share their root's name, and a thread alternates between two:
    // a root's name when it starts (ASP.NET Core: the method) and once routing renamed it (method and route).
    // Comparing with the thread's last two names is cheaper than hashing the string.
    [ThreadStatic]
    private static string? lastName;

    [ThreadStatic]
    private static int lastId;

    [ThreadStatic]
    private static string? previousName;

    [ThreadStatic]
    private static int previousId;

    /// <summary>Gets how many times a name was not kept because a table was full (those samples name no endpoint, or an early name).</summary>
    public static long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Gets a small id for a name; 0 for none, or when the table is full.</summary>
    public static int Intern(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return 0;
        }

        // ASP.NET Core builds each request's final name anew (equal content, another object): string.Equals
        // compares references first, then content.
        if (string.Equals(name, lastName, StringComparison.Ordinal))
        {
            return lastId;
        }

        if (string.Equals(name, previousName, StringComparison.Ordinal))
        {
            (previousName, previousId, lastName, lastId) = (lastName, lastId, previousName, previousId);
            return lastId;
        }

        if (!Ids.TryGetValue(name, out int id))
        {
            if (Ids.Count >= MaxNames)
            {
                Interlocked.Increment(ref dropped);
                return 0;
            }

            // A thread that loses the race to add the name takes the winner's id (its own goes unused).
            int candidate = Interlocked.Increment(ref nextId);
            if (Ids.TryAdd(name, candidate) || !Ids.TryGetValue(name, out id))
            {
                id = candidate;
            }

            Names.TryAdd(id, name);
        }

        (previousName, previousId, lastName, lastId) = (lastName, lastId, name, id);
        return id;
    }

    /// <summary>
    /// Records the name a local root span had when it ended. When the table is full the oldest root is
    /// forgotten (counted in <see cref="Dropped"/> if it ended less than two seconds ago): samples of a
    /// forgotten root fall back to the name the root had when the span became current.
    /// </summary>
    public static void RootEnded(ulong rootSpanId, string name)
    {
        int nameId = Intern(name);
        if (nameId == 0)
        {
            return;
        }

        long now = Environment.TickCount64;
        lock (RootsGate)
        {
            ForgetEndedBefore(now - KeepEndedMilliseconds);
            if (rootsCount == endedRoots.Length)
            {
                if (endedRoots.Length < MaxRoots)
                {
                    Grow();
                }
                else
                {
                    ForgetOldest();
                    Interlocked.Increment(ref dropped);
                }
            }

            if (FinalRootNames.TryAdd(rootSpanId, nameId))
            {
                endedRoots[(rootsHead + rootsCount) % endedRoots.Length] = (rootSpanId, now);
                rootsCount++;
            }
        }
    }

    /// <summary>The endpoint name of a span: its root's final name if the root has ended, else the name it had then.</summary>
    public static string Of(in SpanKey span)
    {
        int nameId = span.RootNameId;
        lock (RootsGate)
        {
            if (FinalRootNames.TryGetValue(span.RootSpanId, out int finalId))
            {
                nameId = finalId;
            }
        }

        return nameId != 0 && Names.TryGetValue(nameId, out string? name) ? name : string.Empty;
    }

    /// <summary>Forgets final names of roots that ended long ago (also done as roots end). Called once per interval.</summary>
    public static void Trim()
    {
        lock (RootsGate)
        {
            ForgetEndedBefore(Environment.TickCount64 - KeepEndedMilliseconds);
        }
    }

    private static void ForgetEndedBefore(long timestamp)
    {
        while (rootsCount > 0 && endedRoots[rootsHead].EndedAt < timestamp)
        {
            ForgetOldest();
        }
    }

    private static void ForgetOldest()
    {
        FinalRootNames.Remove(endedRoots[rootsHead].Id);
        rootsHead = (rootsHead + 1) % endedRoots.Length;
        rootsCount--;
    }

    private static void Grow()
    {
        var larger = new (ulong, long)[Math.Min(endedRoots.Length * 2, MaxRoots)];
        for (int i = 0; i < rootsCount; i++)
        {
            larger[i] = endedRoots[(rootsHead + i) % endedRoots.Length];
        }

        endedRoots = larger;
        rootsHead = 0;
    }
}
