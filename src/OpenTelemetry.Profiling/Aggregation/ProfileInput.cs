namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>
/// One profile type's aggregated samples for an interval, with the sampling period actually observed.
/// <paramref name="FramePointerStacks"/>: the stacks come from the native sampler's frame-pointer walk, not the
/// runtime's stack walker. Their leaf can be one of the runtime's stubs or helpers, which no method event names
/// (charged to its named caller), and a method on its on-stack-replacement version shows twice (shown once).
/// <paramref name="Covers"/>: the time the samples stand for when it is not the interval's (sampling windows
/// sparser than export intervals: one window's rounds stand for the time since the previous window); null for
/// the interval's.
/// </summary>
internal sealed record ProfileInput(ProfileType Type, SampleAggregator Samples, long Period, bool FramePointerStacks = false, (DateTimeOffset Start, TimeSpan Duration)? Covers = null);
