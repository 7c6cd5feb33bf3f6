using OpenTelemetry.Profiling.Aggregation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>One interval's aggregators, one per enabled profile type, and what was seen of the sampler's rounds.</summary>
internal sealed class IntervalSamples(ProfileType[] types, SampleAggregator?[] aggregators, long rounds, long roundIntervalNanos, long roundsCoveredNanos = 0)
{
    public IReadOnlyList<ProfileType> Types { get; } = types;

    public SampleAggregator?[] Aggregators { get; } = aggregators;

    public long Rounds { get; } = rounds;

    public long RoundIntervalNanos { get; } = roundIntervalNanos;

    /// <summary>
    /// Gets the time from the previous interval's last round to this interval's last round (nanoseconds), the
    /// time this interval's rounds stand for (from when sampling started, until the first round has arrived);
    /// 0 when unknown (the previous interval had no round).
    /// </summary>
    public long RoundsCoveredNanos { get; } = roundsCoveredNanos;
}
