using OpenTelemetry.Profiling.Aggregation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>One interval's aggregators, one per enabled profile type, and what was seen of the sampler's rounds.</summary>
internal sealed class IntervalSamples(ProfileType[] types, SampleAggregator?[] aggregators, long rounds, long roundIntervalNanos)
{
    public IReadOnlyList<ProfileType> Types { get; } = types;

    public SampleAggregator?[] Aggregators { get; } = aggregators;

    public long Rounds { get; } = rounds;

    public long RoundIntervalNanos { get; } = roundIntervalNanos;
}
