namespace OpenTelemetry.Profiling.Receiver;

/// <summary>The samples linked to one span.</summary>
/// <param name="TraceId">The trace id, lowercase hex.</param>
/// <param name="SpanId">The span id, lowercase hex.</param>
/// <param name="Value">The summed values of the samples linked to the span.</param>
/// <param name="Share">The fraction of the profile type's total value, 0 to 1.</param>
/// <param name="TopSelf">The functions that were on top of the stack most while in this span.</param>
public sealed record LinkShare(string TraceId, string SpanId, long Value, double Share, IReadOnlyList<FunctionShare> TopSelf);
