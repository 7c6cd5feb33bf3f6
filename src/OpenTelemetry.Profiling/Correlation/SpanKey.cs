using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// A span as plain values: trace id, span id, the span id of its local root, and the interned name the root
/// had when the span became current. Span histories store these instead of <see cref="Activity"/> references:
/// a ring that kept the last thousands of activities of every busy thread alive pushed them all out of the
/// young generation and cost 20 % of a saturated server's throughput (measured with build/overhead.sh).
/// The default value is "no span"; <see cref="ProfilerWork"/> marks the profiler's own work.
/// </summary>
internal readonly record struct SpanKey(ulong TraceIdHigh, ulong TraceIdLow, ulong SpanId, ulong RootSpanId, int RootNameId)
{
    public static readonly SpanKey ProfilerWork = new(0, 0, ulong.MaxValue, 0, 0);

    public bool IsNone => this.SpanId == 0;

    public bool IsProfilerWork => this.SpanId == ulong.MaxValue && this.TraceIdHigh == 0 && this.TraceIdLow == 0;

    /// <summary>A span id as a number. The activity keeps its ids as hex text; this decodes it vectorized.</summary>
    public static ulong Id(ActivitySpanId spanId)
    {
        Span<byte> bytes = stackalloc byte[8];
        DecodeHex(spanId.ToHexString(), bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    /// <summary>Reads an activity's ids once (parsing its hex ids costs tens of nanoseconds).</summary>
    public static SpanKey From(Activity activity)
    {
        Span<byte> trace = stackalloc byte[16];
        DecodeHex(activity.TraceId.ToHexString(), trace);

        var root = LocalRoot(activity);
        ulong spanId = Id(activity.SpanId);
        return new SpanKey(
            BinaryPrimitives.ReadUInt64BigEndian(trace),
            BinaryPrimitives.ReadUInt64BigEndian(trace[8..]),
            spanId,
            ReferenceEquals(root, activity) ? spanId : Id(root.SpanId),
            SpanNames.Intern(root.DisplayName));
    }

    /// <summary>
    /// The key of <paramref name="child"/>, started under the span of <paramref name="parent"/>: the same trace
    /// and local root, so only the child's own span id is read (and the root's current name looked up).
    /// </summary>
    public static SpanKey ChildOf(in SpanKey parent, Activity child) =>
        parent with { SpanId = Id(child.SpanId), RootNameId = CurrentRootNameId(child) };

    /// <summary>The interned name the local root of <paramref name="activity"/> has now.</summary>
    public static int CurrentRootNameId(Activity activity) => SpanNames.Intern(LocalRoot(activity).DisplayName);

    /// <summary>Decodes an id's hex text into <paramref name="destination"/>; all zeros unless it fills it exactly.</summary>
    private static void DecodeHex(string hex, Span<byte> destination)
    {
        if (Convert.FromHexString(hex, destination, out _, out int written) != OperationStatus.Done || written != destination.Length)
        {
            destination.Clear();
        }
    }

    private static Activity LocalRoot(Activity activity)
    {
        var root = activity;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        return root;
    }
}
