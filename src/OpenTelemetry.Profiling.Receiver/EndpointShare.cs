namespace OpenTelemetry.Profiling.Receiver;

/// <summary>
/// The samples whose local root span (the endpoint, e.g. <c>GET /api/check</c>, or a background loop's own
/// root span) has one name, across all its spans; <see cref="Name"/> is empty for samples with no span.
/// </summary>
/// <param name="Name">The local root span's name (sample attribute <c>local_root_span.name</c>), or empty.</param>
/// <param name="Value">The summed sample values.</param>
/// <param name="Share">The share of the profile type's total.</param>
/// <param name="TopSelf">The top functions by self value within these samples, shares relative to <paramref name="Value"/>.</param>
public sealed record EndpointShare(string Name, long Value, double Share, IReadOnlyList<FunctionShare> TopSelf);
