namespace OpenTelemetry.Profiling.Receiver;

/// <summary>A span the receiver got over OTLP, with ids as lowercase hex as W3C trace context writes them.</summary>
/// <param name="TraceId">The 32-character trace id.</param>
/// <param name="SpanId">The 16-character span id.</param>
/// <param name="ParentSpanId">The parent's span id, or <see langword="null"/> for a root span.</param>
/// <param name="Name">The span name.</param>
/// <param name="StartTimeUnixNano">Start time, nanoseconds since the Unix epoch.</param>
/// <param name="EndTimeUnixNano">End time, nanoseconds since the Unix epoch.</param>
/// <param name="Attributes">The span's attributes rendered as strings.</param>
/// <param name="ResourceAttributes">The attributes of the resource the span was sent with, rendered as strings.</param>
public sealed record ReceivedSpan(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    ulong StartTimeUnixNano,
    ulong EndTimeUnixNano,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyDictionary<string, string> ResourceAttributes);
