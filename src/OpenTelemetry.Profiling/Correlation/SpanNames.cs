using System.Collections.Concurrent;
using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// Names of local root spans (the endpoint, e.g. <c>GET /api/check</c>) without keeping activities alive:
/// names are interned to small ids when a span becomes current, and the span processor records each root's
/// final display name when it ends (ASP.NET Core learns the route after the span started), kept a while for
/// samples processed after the fact. Both tables are bounded.
/// </summary>
internal static class SpanNames
{
    private const int MaxNames = 10_000;
    private const int MaxRoots = 20_000;
    private static readonly long KeepEnded = 5 * Stopwatch.Frequency;

    private static readonly CountedDictionary<string, int> Ids = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<int, string> Names = new();
    private static readonly CountedDictionary<ulong, (string Name, long EndedAt)> FinalRootNames = new();
    private static int nextId;
    private static long dropped;

    // Most spans becoming current on a thread share their root's name object (a route, a constant): one
    // reference comparison instead of hashing the string.
    [ThreadStatic]
    private static string? lastName;

    [ThreadStatic]
    private static int lastId;

    /// <summary>Gets how many times a name was not kept because a table was full (those samples name no endpoint, or an early name).</summary>
    public static long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Gets a small id for a name; 0 for none, or when the table is full.</summary>
    public static int Intern(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return 0;
        }

        if (ReferenceEquals(name, lastName))
        {
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

        (lastName, lastId) = (name, id);
        return id;
    }

    /// <summary>
    /// Records the name a local root span had when it ended. When the table is full the name is not kept and
    /// samples fall back to the name the root had when the span became current.
    /// </summary>
    public static void RootEnded(ulong rootSpanId, string name)
    {
        if (FinalRootNames.Count < MaxRoots)
        {
            FinalRootNames.TryAdd(rootSpanId, (name, Stopwatch.GetTimestamp()));
        }
        else
        {
            Interlocked.Increment(ref dropped);
        }
    }

    /// <summary>The endpoint name of a span: its root's final name if the root has ended, else the name it had then.</summary>
    public static string Of(in SpanKey span)
    {
        if (FinalRootNames.TryGetValue(span.RootSpanId, out var final))
        {
            return final.Name;
        }

        return span.RootNameId != 0 && Names.TryGetValue(span.RootNameId, out string? name) ? name : string.Empty;
    }

    /// <summary>Forgets final names of roots that ended long ago. Called once per interval.</summary>
    public static void Trim()
    {
        long before = Stopwatch.GetTimestamp() - KeepEnded;
        foreach (var (id, entry) in FinalRootNames)
        {
            if (entry.EndedAt < before)
            {
                FinalRootNames.TryRemove(id);
            }
        }
    }
}
