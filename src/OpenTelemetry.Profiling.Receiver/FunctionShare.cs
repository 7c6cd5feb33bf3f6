namespace OpenTelemetry.Profiling.Receiver;

/// <summary>How much of a profile's total value one function accounts for.</summary>
/// <param name="Function">The function name.</param>
/// <param name="Value">The summed sample values.</param>
/// <param name="Share">The fraction of the profile type's total value, 0 to 1.</param>
public sealed record FunctionShare(string Function, long Value, double Share);
