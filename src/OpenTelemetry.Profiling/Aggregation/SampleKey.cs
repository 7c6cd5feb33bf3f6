namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>What makes two raw samples the same within an interval: stack, thread, linked span and endpoint.</summary>
internal readonly record struct SampleKey(int StackId, int ThreadId, int LinkId, int EndpointId);
