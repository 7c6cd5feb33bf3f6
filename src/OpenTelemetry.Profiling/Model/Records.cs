namespace OpenTelemetry.Profiling.Model;

// The dictionary's entries, in the shape of the OTLP profiles tables but free of any wire library.
// Indices point into the tables of the ProfileDictionary they belong to; index 0 is always the zero entry.

/// <summary>A function: name, system name and file name as string-table indices.</summary>
internal readonly record struct FunctionRecord(int NameStrIndex, int SystemNameStrIndex, int FileNameStrIndex, long StartLine);

/// <summary>A location with a single line that names <see cref="FunctionIndex"/> (0 for the zero location).</summary>
internal readonly record struct LocationRecord(int FunctionIndex, ulong Address, int[] AttributeIndices);

/// <summary>A stack: location indices, leaf first.</summary>
internal readonly record struct StackRecord(int[] LocationIndices);

/// <summary>An attribute: key and unit as string-table indices (unit 0 = none).</summary>
internal readonly record struct AttributeRecord(int KeyStrIndex, AttributeValue Value, int UnitStrIndex);

/// <summary>A sample type or period type: type and unit as string-table indices.</summary>
internal readonly record struct ValueTypeRecord(int TypeStrIndex, int UnitStrIndex);

/// <summary>An aggregated sample: one value for a {stack, attribute set, link}.</summary>
internal readonly record struct SampleRecord(int StackIndex, int[] AttributeIndices, int LinkIndex, long Value);
