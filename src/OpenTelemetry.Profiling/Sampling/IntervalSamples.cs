using OpenTelemetry.Profiling.Aggregation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>One interval's aggregators, one per enabled profile type, and what was seen of the sampler's rounds.</summary>
internal sealed class IntervalSamples(ProfileType[] types, SampleAggregator?[] aggregators, long rounds, long roundIntervalNanos, long roundsCoveredNanos = 0, long roundsCoveredFrom = 0)
{
    public IReadOnlyList<ProfileType> Types { get; } = types;

    public SampleAggregator?[] Aggregators { get; } = aggregators;

    public long Rounds { get; } = rounds;

    public long RoundIntervalNanos { get; } = roundIntervalNanos;

    /// <summary>
    /// Gets the time from the last round of the latest earlier interval that had rounds to this interval's last
    /// round (nanoseconds), the time this interval's rounds stand for (from when sampling started, until the
    /// first round has arrived); 0 when unknown.
    /// </summary>
    public long RoundsCoveredNanos { get; } = roundsCoveredNanos;

    /// <summary>Gets the <see cref="System.Diagnostics.Stopwatch"/> timestamp <see cref="RoundsCoveredNanos"/> runs from; 0 when unknown.</summary>
    public long RoundsCoveredFrom { get; } = roundsCoveredFrom;
}
