using System.Buffers.Binary;
using System.Diagnostics;

namespace OpenTelemetry.Profiling.Model;

/// <summary>
/// A span a sample is linked to. Ids are kept as big-endian numbers so that writing them out
/// gives bytes identical to the span's hex ids; the default value is the all-zero "no link".
/// </summary>
internal readonly record struct LinkRecord(ulong TraceIdHigh, ulong TraceIdLow, ulong SpanId)
{
    public bool IsEmpty => this.TraceIdHigh == 0 && this.TraceIdLow == 0 && this.SpanId == 0;

    public static LinkRecord FromIds(ActivityTraceId traceId, ActivitySpanId spanId)
    {
        Span<byte> trace = stackalloc byte[16];
        Span<byte> span = stackalloc byte[8];
        traceId.CopyTo(trace);
        spanId.CopyTo(span);
        return new LinkRecord(
            BinaryPrimitives.ReadUInt64BigEndian(trace),
            BinaryPrimitives.ReadUInt64BigEndian(trace[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(span));
    }

    public void WriteTraceId(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, this.TraceIdHigh);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], this.TraceIdLow);
    }

    public void WriteSpanId(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination, this.SpanId);

    public string TraceIdHex => this.TraceIdHigh.ToString("x16", System.Globalization.CultureInfo.InvariantCulture)
        + this.TraceIdLow.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    public string SpanIdHex => this.SpanId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
