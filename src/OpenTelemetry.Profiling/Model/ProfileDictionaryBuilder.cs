namespace OpenTelemetry.Profiling.Model;

/// <summary>
/// Interns strings, functions, locations, stacks, attributes and links into deduplicated tables with the
/// zero value at index 0, then freezes them into a <see cref="ProfileDictionary"/>. Not thread-safe: one
/// builder per export interval, owned by the thread that aggregates.
/// </summary>
internal sealed class ProfileDictionaryBuilder
{
    private readonly List<string> strings = [string.Empty];
    private readonly Dictionary<string, int> stringIndex = new(StringComparer.Ordinal) { [string.Empty] = 0 };
    private readonly List<FunctionRecord> functions = [default];
    private readonly Dictionary<FunctionRecord, int> functionIndex = new() { [default] = 0 };
    private readonly List<LocationRecord> locations = [new LocationRecord(0, 0, [])];
    private readonly Dictionary<(int Function, ulong Address, int[] Attributes), int> locationIndex = new(LocationKeyComparer.Instance);
    private readonly List<StackRecord> stacks = [new StackRecord([])];
    private readonly Dictionary<int[], int> stackIndex = new(IntArrayComparer.Instance) { [[]] = 0 };
    private readonly List<AttributeRecord> attributes = [default];
    private readonly Dictionary<AttributeRecord, int> attributeIndex = new();
    private readonly List<LinkRecord> links = [default];
    private readonly Dictionary<LinkRecord, int> linkIndex = new() { [default] = 0 };

    public ProfileDictionaryBuilder()
    {
        this.locationIndex[(0, 0, [])] = 0;

        // The zero attribute has key "" and an empty string value; real attributes always have a key.
        this.attributes[0] = new AttributeRecord(0, AttributeValue.Of(string.Empty), 0);
        this.attributeIndex[this.attributes[0]] = 0;
    }

    public int String(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        if (!this.stringIndex.TryGetValue(value, out int index))
        {
            index = this.strings.Count;
            this.strings.Add(value);
            this.stringIndex.Add(value, index);
        }

        return index;
    }

    public int Function(string name, string? systemName, string? fileName, long startLine = 0)
    {
        var record = new FunctionRecord(this.String(name), this.String(systemName), this.String(fileName), startLine);
        return Intern(this.functions, this.functionIndex, record);
    }

    public int Location(int functionIndex, ulong address = 0, int[]? attributeIndices = null)
    {
        ValidateIndex(functionIndex, this.functions.Count, nameof(functionIndex));
        attributeIndices ??= [];
        var key = (functionIndex, address, attributeIndices);
        if (!this.locationIndex.TryGetValue(key, out int index))
        {
            index = this.locations.Count;
            this.locations.Add(new LocationRecord(functionIndex, address, attributeIndices));
            this.locationIndex.Add(key, index);
        }

        return index;
    }

    /// <summary>Interns a stack given leaf first. The span is copied only when the stack is new.</summary>
    public int Stack(ReadOnlySpan<int> locationIndices)
    {
        if (locationIndices.IsEmpty)
        {
            return 0;
        }

        var lookup = this.stackIndex.GetAlternateLookup<ReadOnlySpan<int>>();
        if (!lookup.TryGetValue(locationIndices, out int index))
        {
            foreach (int location in locationIndices)
            {
                ValidateIndex(location, this.locations.Count, nameof(locationIndices));
            }

            int[] copy = locationIndices.ToArray();
            index = this.stacks.Count;
            this.stacks.Add(new StackRecord(copy));
            this.stackIndex.Add(copy, index);
        }

        return index;
    }

    public int StackLength(int stackIndex) => this.stacks[stackIndex].LocationIndices.Length;

    public int Attribute(string key, AttributeValue value, string? unit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Intern(this.attributes, this.attributeIndex, new AttributeRecord(this.String(key), value, this.String(unit)));
    }

    public int Link(LinkRecord link) => Intern(this.links, this.linkIndex, link);

    public ValueTypeRecord ValueType(string type, string unit) => new(this.String(type), this.String(unit));

    public ProfileDictionary Build() => new(
        [.. this.strings],
        [.. this.functions],
        [.. this.locations],
        [.. this.stacks],
        [.. this.attributes],
        [.. this.links]);

    private static int Intern<T>(List<T> table, Dictionary<T, int> index, T value)
        where T : notnull
    {
        if (!index.TryGetValue(value, out int i))
        {
            i = table.Count;
            table.Add(value);
            index.Add(value, i);
        }

        return i;
    }

    private static void ValidateIndex(int index, int count, string name)
    {
        if ((uint)index >= (uint)count)
        {
            throw new ArgumentOutOfRangeException(name, index, $"Index must be below the table size {count}.");
        }
    }

    private sealed class LocationKeyComparer : IEqualityComparer<(int Function, ulong Address, int[] Attributes)>
    {
        public static readonly LocationKeyComparer Instance = new();

        public bool Equals((int Function, ulong Address, int[] Attributes) x, (int Function, ulong Address, int[] Attributes) y) =>
            x.Function == y.Function && x.Address == y.Address && IntArrayComparer.Instance.Equals(x.Attributes, y.Attributes);

        public int GetHashCode((int Function, ulong Address, int[] Attributes) obj) =>
            HashCode.Combine(obj.Function, obj.Address, IntArrayComparer.Instance.GetHashCode(obj.Attributes));
    }
}
