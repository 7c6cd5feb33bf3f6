using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Profiling.Symbols;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>
/// Turns an interval's raw aggregates into an immutable <see cref="ProfileBatch"/>: resolves each distinct
/// address once, interns functions, locations and stacks into one shared dictionary, and merges samples that
/// became identical once addresses were resolved to functions.
/// </summary>
internal sealed class ProfileAssembler
{
    internal const string UnknownFrameName = "[unknown managed frame]";
    internal const string ThreadIdAttribute = "thread.id";
    internal const string ThreadNameAttribute = "thread.name";
    internal const string LocalRootSpanNameAttribute = "local_root_span.name";
    internal const string FrameTypeAttribute = "profile.frame.type";
    internal const string DotnetFrameType = "dotnet";

    private readonly MethodMap methods;
    private readonly Func<int, string?> threadName;

    public ProfileAssembler(MethodMap methods, Func<int, string?> threadName)
    {
        this.methods = methods;
        this.threadName = threadName;
    }

    public ProfileBatch Build(IReadOnlyList<ProfileInput> inputs, DateTimeOffset start, TimeSpan duration, Resource resource, out SymbolizationStats stats)
    {
        var dictionary = new ProfileDictionaryBuilder();
        int frameTypeAttribute = dictionary.Attribute(FrameTypeAttribute, AttributeValue.Of(DotnetFrameType));
        int[] frameAttributes = [frameTypeAttribute];
        var locationByAddress = new Dictionary<ulong, (int Location, bool Named, bool Artifact)>();
        var attributeSets = new Dictionary<(int Thread, string Endpoint), int[]>();
        long frames = 0, named = 0;
        var profiles = new List<Profile>(inputs.Count);
        var locations = new List<int>(128);

        foreach (var input in inputs)
        {
            var aggregator = input.Samples;
            int[] stackIndex = new int[aggregator.Stacks.Count];
            int[] stackNamed = new int[aggregator.Stacks.Count];
            for (int id = 0; id < stackIndex.Length; id++)
            {
                locations.Clear();
                var raw = aggregator.Stacks.Get(id);
                for (int i = 0; i < raw.Length; i++)
                {
                    var (location, isNamed, artifact) = this.Location(dictionary, locationByAddress, frameAttributes, raw[i], isLeaf: i == 0);

                    // A thread stopped for sampling at a GC poll shows the poll helper as its leaf: that time
                    // belongs to the method that polled.
                    if (artifact && locations.Count == 0 && i + 1 < raw.Length)
                    {
                        continue;
                    }

                    locations.Add(location);
                    stackNamed[id] += isNamed ? 1 : 0;
                }

                stackIndex[id] = dictionary.Stack(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(locations));
            }

            int[] linkIndex = new int[aggregator.Links.Count];
            for (int i = 0; i < linkIndex.Length; i++)
            {
                linkIndex[i] = dictionary.Link(aggregator.Links[i]);
            }

            var merged = new Dictionary<(int Stack, int[] Attributes, int Link), long>();
            foreach (var (key, value) in aggregator.Values)
            {
                string endpoint = aggregator.Endpoints[key.EndpointId];
                if (!attributeSets.TryGetValue((key.ThreadId, endpoint), out int[]? attributes))
                {
                    attributes = this.Attributes(dictionary, key.ThreadId, endpoint);
                    attributeSets.Add((key.ThreadId, endpoint), attributes);
                }

                var mergedKey = (stackIndex[key.StackId], attributes, linkIndex[key.LinkId]);
                merged[mergedKey] = merged.GetValueOrDefault(mergedKey) + value;
                int depth = dictionary.StackLength(stackIndex[key.StackId]);
                frames += depth * value;
                named += stackNamed[key.StackId] * value;
            }

            var samples = new List<SampleRecord>(merged.Count);
            foreach (var ((stack, attributes, link), value) in merged)
            {
                samples.Add(new SampleRecord(stack, attributes, link, value));
            }

            profiles.Add(new Profile(
                dictionary.ValueType(input.Type.SampleType, input.Type.SampleUnit),
                dictionary.ValueType(input.Type.PeriodType, input.Type.PeriodUnit),
                input.Period,
                (ulong)((start - DateTimeOffset.UnixEpoch).Ticks * 100),
                (ulong)(duration.Ticks * 100),
                samples,
                []));
        }

        stats = new SymbolizationStats(frames, named);
        return new ProfileBatch(dictionary.Build(), profiles, resource);
    }

    private (int Location, bool Named, bool Artifact) Location(
        ProfileDictionaryBuilder dictionary,
        Dictionary<ulong, (int Location, bool Named, bool Artifact)> cache,
        int[] frameAttributes,
        ulong address,
        bool isLeaf)
    {
        // Caller frames hold return addresses, which can point one past their method's last byte.
        ulong key = (address << 1) | (isLeaf ? 1UL : 0UL);
        if (cache.TryGetValue(key, out var known))
        {
            return known;
        }

        MethodSymbol? symbol = this.methods.Resolve(address) ?? (isLeaf ? null : this.methods.Resolve(address - 1));
        int function = symbol is null
            ? dictionary.Function(UnknownFrameName, null, null)
            : dictionary.Function(symbol.Name, null, symbol.ModuleName);
        bool artifact = symbol is not null && IsSuspensionArtifact(symbol.Name);
        var result = (dictionary.Location(function, 0, frameAttributes), symbol is not null, artifact);
        cache.Add(key, result);
        return result;
    }

    /// <summary>Helpers a thread is caught in only because the sampler suspended it there (the GC poll and its local worker).</summary>
    private static bool IsSuspensionArtifact(string name) =>
        name.StartsWith("System.Threading.Thread.<PollGC>", StringComparison.Ordinal) || name == "System.Threading.Thread.PollGC";

    private int[] Attributes(ProfileDictionaryBuilder dictionary, int threadId, string endpoint)
    {
        var attributes = new List<int>(3) { dictionary.Attribute(ThreadIdAttribute, AttributeValue.Of(threadId)) };
        string? name = this.threadName(threadId);
        if (!string.IsNullOrEmpty(name))
        {
            attributes.Add(dictionary.Attribute(ThreadNameAttribute, AttributeValue.Of(name)));
        }

        if (endpoint.Length != 0)
        {
            attributes.Add(dictionary.Attribute(LocalRootSpanNameAttribute, AttributeValue.Of(endpoint)));
        }

        return [.. attributes];
    }
}
