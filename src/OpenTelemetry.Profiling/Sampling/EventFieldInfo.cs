namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// One top-level payload field as declared by the metadata record. Kept for diagnostics and for checking a
/// decoder's assumed layout against what the runtime actually announces.
/// </summary>
/// <param name="Name">Field name; empty for runtime events whose metadata carries no names (rundown).</param>
/// <param name="TypeCode">A <see cref="System.TypeCode"/> value, 1 (Object) for nested structs, 19 for arrays (V2 metadata).</param>
internal readonly record struct EventFieldInfo(string Name, int TypeCode);
