namespace OpenTelemetry.Profiling.Model;

/// <summary>
/// The deduplicated tables shared by all profiles of one <see cref="ProfileBatch"/>.
/// Every table holds its zero value at index 0. Built by <see cref="ProfileDictionaryBuilder"/>; immutable.
/// </summary>
internal sealed class ProfileDictionary
{
    internal ProfileDictionary(
        string[] strings,
        FunctionRecord[] functions,
        LocationRecord[] locations,
        StackRecord[] stacks,
        AttributeRecord[] attributes,
        LinkRecord[] links)
    {
        this.Strings = strings;
        this.Functions = functions;
        this.Locations = locations;
        this.Stacks = stacks;
        this.Attributes = attributes;
        this.Links = links;
    }

    public IReadOnlyList<string> Strings { get; }

    public IReadOnlyList<FunctionRecord> Functions { get; }

    public IReadOnlyList<LocationRecord> Locations { get; }

    public IReadOnlyList<StackRecord> Stacks { get; }

    public IReadOnlyList<AttributeRecord> Attributes { get; }

    public IReadOnlyList<LinkRecord> Links { get; }
}
