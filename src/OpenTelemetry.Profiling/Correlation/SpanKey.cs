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

    public static ulong Id(ActivitySpanId spanId)
    {
        Span<byte> bytes = stackalloc byte[8];
        spanId.CopyTo(bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    /// <summary>Reads an activity's ids once (parsing its hex ids costs tens of nanoseconds).</summary>
    public static SpanKey From(Activity activity)
    {
        Span<byte> trace = stackalloc byte[16];
        activity.TraceId.CopyTo(trace);
        var root = activity;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        return new SpanKey(
            BinaryPrimitives.ReadUInt64BigEndian(trace),
            BinaryPrimitives.ReadUInt64BigEndian(trace[8..]),
            Id(activity.SpanId),
            ReferenceEquals(root, activity) ? Id(activity.SpanId) : Id(root.SpanId),
            SpanNames.Intern(root.DisplayName));
    }
}
