namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The value mirrored into the tracker's <see cref="AsyncLocal{T}"/>: a span's ids, read once when the span
/// becomes current. The execution context holds it exactly as long as it holds the activity itself.
/// </summary>
internal sealed class SpanKeyBox(SpanKey key)
{
    public static readonly SpanKeyBox ProfilerWork = new(SpanKey.ProfilerWork);

    public SpanKey Key { get; } = key;
}
