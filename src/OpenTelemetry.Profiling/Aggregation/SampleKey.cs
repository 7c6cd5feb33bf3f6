namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>What makes two raw samples the same within an interval: stack, thread, linked span, endpoint and label (a type name).</summary>
internal readonly record struct SampleKey(int StackId, int ThreadId, int LinkId, int EndpointId, int LabelId);
