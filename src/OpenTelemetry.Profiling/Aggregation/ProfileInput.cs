namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>One profile type's aggregated samples for an interval, with the sampling period actually observed.</summary>
internal sealed record ProfileInput(ProfileType Type, SampleAggregator Samples, long Period);
