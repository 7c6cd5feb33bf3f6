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

    /// <summary>The frame of wall samples taken while a span was awaiting, holding no thread.</summary>
    internal const string AwaitingFrameName = "[awaiting: no thread]";
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
        var locationByAddress = new Dictionary<ulong, FrameInfo>();
        var attributeSets = new Dictionary<(int Thread, string Endpoint, string? LabelKey, string Label), int[]>();
        long frames = 0, named = 0;
        var profiles = new List<Profile>(inputs.Count);
        var locations = new List<int>(128);

        foreach (var input in inputs)
        {
            var aggregator = input.Samples;
            int[] stackIndex = new int[aggregator.Stacks.Count];
            int[] stackNamed = new int[aggregator.Stacks.Count];
            bool[] stackIdle = new bool[aggregator.Stacks.Count];
            for (int id = 0; id < stackIndex.Length; id++)
            {
                locations.Clear();
                var raw = aggregator.Stacks.Get(id);
                MethodSymbol? callee = null;
                for (int i = 0; i < raw.Length; i++)
                {
                    var frame = this.Location(dictionary, locationByAddress, frameAttributes, raw[i], isLeaf: i == 0);
                    stackIdle[id] |= frame.IdleWait;

                    // A thread stopped for sampling at a GC poll shows the poll helper as its leaf: that time
                    // belongs to the method that polled. Likewise an unnamed leaf in frame-pointer stacks: they
                    // catch threads in the runtime's stubs and helpers, which no method event names.
                    if ((frame.Artifact || (!frame.Named && input.FramePointerStacks)) && locations.Count == 0 && i + 1 < raw.Length)
                    {
                        continue;
                    }

                    // A method running its on-stack-replacement version keeps the frame of the version it left,
                    // just below: a frame-pointer walk shows both, the runtime's stack walker one. Two versions of
                    // one method back to back are that, not recursion (which runs the same code).
                    if (input.FramePointerStacks && callee is not null && frame.Symbol is not null && !ReferenceEquals(frame.Symbol, callee) && frame.Symbol.Name == callee.Name)
                    {
                        continue;
                    }

                    callee = frame.Symbol;
                    locations.Add(frame.Location);
                    stackNamed[id] += frame.Named ? 1 : 0;
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
                // A parked thread with no span is not waiting for anything the app asked for.
                if (input.Type.LeavesOutIdleThreads && key.LinkId == 0 && stackIdle[key.StackId])
                {
                    continue;
                }

                string endpoint = aggregator.Endpoints[key.EndpointId];
                var attributeKey = (key.ThreadId, endpoint, input.Type.LabelAttribute, aggregator.Labels[key.LabelId]);
                if (!attributeSets.TryGetValue(attributeKey, out int[]? attributes))
                {
                    attributes = this.Attributes(dictionary, attributeKey);
                    attributeSets.Add(attributeKey, attributes);
                }

                var mergedKey = (stackIndex[key.StackId], attributes, linkIndex[key.LinkId]);
                merged[mergedKey] = merged.GetValueOrDefault(mergedKey) + value;
                if (input.Type == ProfileType.Cpu)
                {
                    // Naming is measured on CPU samples, where each value is one sample.
                    frames += dictionary.StackLength(stackIndex[key.StackId]) * value;
                    named += stackNamed[key.StackId] * value;
                }
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
                (ulong)(((input.Covers?.Start ?? start) - DateTimeOffset.UnixEpoch).Ticks * 100),
                (ulong)((input.Covers?.Duration ?? duration).Ticks * 100),
                samples,
                []));
        }

        stats = new SymbolizationStats(frames, named);
        return new ProfileBatch(dictionary.Build(), profiles, resource);
    }

    private FrameInfo Location(
        ProfileDictionaryBuilder dictionary,
        Dictionary<ulong, FrameInfo> cache,
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

        string? pseudoName = address == Sampling.SampleCollector.AwaitingFrameAddress ? AwaitingFrameName : Sampling.NativeThreadFrames.NameOf(address);
        if (pseudoName is not null)
        {
            var pseudo = new FrameInfo(dictionary.Location(dictionary.Function(pseudoName, null, null), 0, frameAttributes), null, false, false) { Named = true };
            cache.Add(key, pseudo);
            return pseudo;
        }

        MethodSymbol? symbol = this.methods.Resolve(address) ?? (isLeaf ? null : this.methods.Resolve(address - 1));
        int function = symbol is null
            ? dictionary.Function(UnknownFrameName, null, null)
            : dictionary.Function(symbol.Name, null, symbol.ModuleName);
        var result = new FrameInfo(
            dictionary.Location(function, 0, frameAttributes),
            symbol,
            symbol is not null && IsSuspensionArtifact(symbol.Name),
            symbol is not null && IsIdleWait(symbol.Name));
        cache.Add(key, result);
        return result;
    }

    /// <summary>Helpers a thread is caught in only because the sampler suspended it there (the GC poll and its local worker).</summary>
    private static bool IsSuspensionArtifact(string name) =>
        name.StartsWith("System.Threading.Thread.<PollGC>", StringComparison.Ordinal) || name == "System.Threading.Thread.PollGC";

    /// <summary>
    /// Where a thread waits when it has nothing to do: thread-pool workers parked for work, the pool's gate
    /// thread, the socket event loop and the timer thread. The wall profile leaves such samples out when no
    /// span is active, so idle threads do not swamp it.
    /// </summary>
    private static bool IsIdleWait(string name) =>
        name.StartsWith("System.Threading.LowLevelLifoSemaphore.", StringComparison.Ordinal)
        || name.StartsWith("System.Threading.PortableThreadPool/GateThread.", StringComparison.Ordinal)
        || name.StartsWith("System.Net.Sockets.SocketAsyncEngine.EventLoop", StringComparison.Ordinal)
        || name.StartsWith("System.Threading.TimerQueue.TimerThread", StringComparison.Ordinal)
        || name.StartsWith("System.Threading.PortableThreadPool/WaitThread.", StringComparison.Ordinal);

    private int[] Attributes(ProfileDictionaryBuilder dictionary, (int Thread, string Endpoint, string? LabelKey, string Label) key)
    {
        var (threadId, endpoint, labelKey, label) = key;
        var attributes = new List<int>(4);
        if (threadId != 0)
        {
            attributes.Add(dictionary.Attribute(ThreadIdAttribute, AttributeValue.Of(threadId)));
        }

        string? name = threadId == 0 ? null : this.threadName(threadId);
        if (!string.IsNullOrEmpty(name))
        {
            attributes.Add(dictionary.Attribute(ThreadNameAttribute, AttributeValue.Of(name)));
        }

        if (endpoint.Length != 0)
        {
            attributes.Add(dictionary.Attribute(LocalRootSpanNameAttribute, AttributeValue.Of(endpoint)));
        }

        if (labelKey is not null && label.Length != 0)
        {
            attributes.Add(dictionary.Attribute(labelKey, AttributeValue.Of(label)));
        }

        return [.. attributes];
    }

    private readonly record struct FrameInfo(int Location, MethodSymbol? Symbol, bool Artifact, bool IdleWait)
    {
        /// <summary>Gets a value indicating whether the frame has a name (a method's, or the awaiting pseudo-frame's).</summary>
        public bool Named { get; init; } = Symbol is not null;
    }
}
