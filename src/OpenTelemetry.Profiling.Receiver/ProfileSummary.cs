using System.Globalization;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Profiles.V1Development;
using ValueType = OpenTelemetry.Proto.Profiles.V1Development.ValueType;

namespace OpenTelemetry.Profiling.Receiver;

/// <summary>
/// What received profiles say, per profile type: top functions by self and inclusive share, the share of
/// samples under functions matching a filter, and the spans samples are linked to. A sample's weight is its
/// first value (or its timestamp count when it has no values).
/// </summary>
public sealed class ProfileSummary
{
    private const string UnknownFunction = "<unknown>";

    internal ProfileSummary(IReadOnlyList<ProfileTypeSummary> profileTypes, string? stackFilter, int requestCount)
    {
        this.ProfileTypes = profileTypes;
        this.StackFilter = stackFilter;
        this.RequestCount = requestCount;
    }

    /// <summary>Gets one summary per profile type, in the order the types were first seen.</summary>
    public IReadOnlyList<ProfileTypeSummary> ProfileTypes { get; }

    /// <summary>Gets the substring matched against function names for <see cref="ProfileTypeSummary.StackFilterShare"/>.</summary>
    public string? StackFilter { get; }

    /// <summary>Gets how many export requests were summarized.</summary>
    public int RequestCount { get; }

    /// <summary>Writes the summary as plain-text tables.</summary>
    /// <param name="writer">Where to write.</param>
    public void Print(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var culture = CultureInfo.InvariantCulture;
        writer.WriteLine(string.Create(culture, $"{this.RequestCount} profile export request(s), {this.ProfileTypes.Count} profile type(s)"));
        foreach (var type in this.ProfileTypes)
        {
            writer.WriteLine();
            writer.WriteLine(string.Create(culture, $"== {type.SampleType} (period {type.PeriodType}): {type.ProfileCount} profile(s), {type.SampleCount} sample record(s), total value {type.TotalValue}"));
            if (type.TotalValue > 0)
            {
                writer.WriteLine(string.Create(culture, $"   linked to spans: {Percent(type.LinkedValue / (double)type.TotalValue)}"));
            }

            if (this.StackFilter is not null)
            {
                writer.WriteLine(string.Create(culture, $"   stacks containing \"{this.StackFilter}\": {Percent(type.StackFilterShare)}"));
            }

            PrintFunctions(writer, "Top self (leaf frame)", type.TopSelf);
            PrintFunctions(writer, "Top inclusive (anywhere on the stack)", type.TopInclusive);
            if (type.TopLinks.Count > 0)
            {
                writer.WriteLine("   Top spans:");
                writer.WriteLine("     share      value  trace id                          span id           top self function");
                foreach (var link in type.TopLinks)
                {
                    string top = link.TopSelf.Count > 0 ? link.TopSelf[0].Function : string.Empty;
                    writer.WriteLine(string.Create(culture, $"    {Percent(link.Share),7} {link.Value,10}  {link.TraceId}  {link.SpanId}  {top}"));
                }
            }
        }
    }

    /// <summary>Returns the text <see cref="Print"/> writes.</summary>
    /// <returns>The summary as text.</returns>
    public override string ToString()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        this.Print(writer);
        return writer.ToString();
    }

    /// <summary>The sample attribute that names the endpoint (the local root span) a sample belongs to.</summary>
    public const string LocalRootSpanNameAttribute = "local_root_span.name";

    internal static ProfileSummary Compute(IReadOnlyList<ExportProfilesServiceRequest> requests, int top = 10, string? stackFilter = null)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        var accumulators = new Dictionary<(string Sample, string Period), Accumulator>();
        var order = new List<(string Sample, string Period)>();
        foreach (var request in requests)
        {
            var dictionary = request.Dictionary ?? new ProfilesDictionary();
            foreach (var resourceProfiles in request.ResourceProfiles)
            {
                foreach (var scopeProfiles in resourceProfiles.ScopeProfiles)
                {
                    foreach (var profile in scopeProfiles.Profiles)
                    {
                        var key = (Describe(dictionary, profile.SampleType), Describe(dictionary, profile.PeriodType));
                        if (!accumulators.TryGetValue(key, out var accumulator))
                        {
                            accumulator = new Accumulator();
                            accumulators.Add(key, accumulator);
                            order.Add(key);
                        }

                        accumulator.Add(dictionary, profile, stackFilter);
                    }
                }
            }
        }

        var types = order.Select(key => accumulators[key].ToSummary(key.Sample, key.Period, top)).ToList();
        return new ProfileSummary(types, stackFilter, requests.Count);
    }

    /// <summary>Sums the sample values of the profiles with the given period type (e.g. <c>cpu/nanoseconds</c>) that started at or after a time.</summary>
    internal static long TotalValue(IReadOnlyList<ExportProfilesServiceRequest> requests, string periodType, ulong sinceUnixNano)
    {
        long total = 0;
        foreach (var request in requests)
        {
            var dictionary = request.Dictionary ?? new ProfilesDictionary();
            foreach (var profile in request.ResourceProfiles.SelectMany(r => r.ScopeProfiles).SelectMany(s => s.Profiles))
            {
                if (profile.TimeUnixNano >= sinceUnixNano && Describe(dictionary, profile.PeriodType) == periodType)
                {
                    total += profile.Samples.Sum(Weight);
                }
            }
        }

        return total;
    }

    internal static IReadOnlyList<(ulong StartUnixNano, ulong DurationNano, long Value)> Totals(IReadOnlyList<ExportProfilesServiceRequest> requests, string periodType, ulong sinceUnixNano)
    {
        var totals = new List<(ulong, ulong, long)>();
        foreach (var request in requests)
        {
            var dictionary = request.Dictionary ?? new ProfilesDictionary();
            foreach (var profile in request.ResourceProfiles.SelectMany(r => r.ScopeProfiles).SelectMany(s => s.Profiles))
            {
                if (profile.TimeUnixNano >= sinceUnixNano && Describe(dictionary, profile.PeriodType) == periodType)
                {
                    totals.Add((profile.TimeUnixNano, profile.DurationNano, profile.Samples.Sum(Weight)));
                }
            }
        }

        return totals;
    }

    private static void PrintFunctions(TextWriter writer, string title, IReadOnlyList<FunctionShare> functions)
    {
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {title}:"));
        writer.WriteLine("     share      value  function");
        foreach (var function in functions)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {Percent(function.Share),7} {function.Value,10}  {function.Function}"));
        }
    }

    private static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Describe(ProfilesDictionary dictionary, ValueType? valueType) =>
        valueType is null ? "/" : $"{StringAt(dictionary, valueType.TypeStrindex)}/{StringAt(dictionary, valueType.UnitStrindex)}";

    private static string StringAt(ProfilesDictionary dictionary, int index) =>
        (uint)index < (uint)dictionary.StringTable.Count ? dictionary.StringTable[index] : string.Empty;

    private static string FunctionName(ProfilesDictionary dictionary, Line line)
    {
        if ((uint)line.FunctionIndex >= (uint)dictionary.FunctionTable.Count || line.FunctionIndex == 0)
        {
            return UnknownFunction;
        }

        string name = StringAt(dictionary, dictionary.FunctionTable[line.FunctionIndex].NameStrindex);
        return name.Length == 0 ? UnknownFunction : name;
    }

    private static long Weight(Sample sample) => sample.Values.Count > 0 ? sample.Values[0] : sample.TimestampsUnixNano.Count;

    private static List<FunctionShare> TopOf(Dictionary<string, long> values, long total, int top) => values
        .OrderByDescending(pair => pair.Value)
        .ThenBy(pair => pair.Key, StringComparer.Ordinal)
        .Take(top)
        .Select(pair => new FunctionShare(pair.Key, pair.Value, total == 0 ? 0 : pair.Value / (double)total))
        .ToList();

    private sealed class Accumulator
    {
        private readonly Dictionary<string, long> self = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> inclusive = new(StringComparer.Ordinal);
        private readonly Dictionary<(string TraceId, string SpanId), (long Value, Dictionary<string, long> Self)> links = [];
        private readonly Dictionary<string, (long Value, Dictionary<string, long> Self)> endpoints = new(StringComparer.Ordinal);
        private readonly HashSet<string> onStack = new(StringComparer.Ordinal);
        private int profileCount;
        private int sampleCount;
        private long total;
        private long linked;
        private long matchingFilter;

        public void Add(ProfilesDictionary dictionary, Profile profile, string? stackFilter)
        {
            this.profileCount++;
            foreach (var sample in profile.Samples)
            {
                this.sampleCount++;
                long weight = Weight(sample);
                this.total += weight;

                this.onStack.Clear();
                string leaf = UnknownFunction;
                var stack = (uint)sample.StackIndex < (uint)dictionary.StackTable.Count ? dictionary.StackTable[sample.StackIndex] : null;
                if (stack is not null)
                {
                    for (int i = 0; i < stack.LocationIndices.Count; i++)
                    {
                        int locationIndex = stack.LocationIndices[i];
                        if ((uint)locationIndex >= (uint)dictionary.LocationTable.Count)
                        {
                            continue;
                        }

                        var lines = dictionary.LocationTable[locationIndex].Lines;
                        for (int j = 0; j < lines.Count; j++)
                        {
                            string name = FunctionName(dictionary, lines[j]);
                            if (i == 0 && j == 0)
                            {
                                leaf = name;
                            }

                            this.onStack.Add(name);
                        }
                    }
                }

                Increment(this.self, leaf, weight);
                bool matches = false;
                foreach (string name in this.onStack)
                {
                    Increment(this.inclusive, name, weight);
                    matches |= stackFilter is not null && name.Contains(stackFilter, StringComparison.Ordinal);
                }

                if (matches)
                {
                    this.matchingFilter += weight;
                }

                string endpoint = EndpointOf(dictionary, sample);
                if (!this.endpoints.TryGetValue(endpoint, out var endpointEntry))
                {
                    endpointEntry = (0, new Dictionary<string, long>(StringComparer.Ordinal));
                }

                Increment(endpointEntry.Self, leaf, weight);
                this.endpoints[endpoint] = (endpointEntry.Value + weight, endpointEntry.Self);

                if (sample.LinkIndex > 0 && sample.LinkIndex < dictionary.LinkTable.Count)
                {
                    var link = dictionary.LinkTable[sample.LinkIndex];
                    var key = (Convert.ToHexStringLower(link.TraceId.Span), Convert.ToHexStringLower(link.SpanId.Span));
                    if (!this.links.TryGetValue(key, out var entry))
                    {
                        entry = (0, new Dictionary<string, long>(StringComparer.Ordinal));
                    }

                    Increment(entry.Self, leaf, weight);
                    this.links[key] = (entry.Value + weight, entry.Self);
                    this.linked += weight;
                }
            }
        }

        public ProfileTypeSummary ToSummary(string sampleType, string periodType, int top)
        {
            double Share(long value) => this.total == 0 ? 0 : value / (double)this.total;
            var topLinks = this.links
                .OrderByDescending(pair => pair.Value.Value)
                .ThenBy(pair => pair.Key.SpanId, StringComparer.Ordinal)
                .Take(top)
                .Select(pair => new LinkShare(pair.Key.TraceId, pair.Key.SpanId, pair.Value.Value, Share(pair.Value.Value), TopOf(pair.Value.Self, pair.Value.Value, 3)))
                .ToList();
            var topEndpoints = this.endpoints
                .OrderByDescending(pair => pair.Value.Value)
                .ThenBy(pair => pair.Key, StringComparer.Ordinal)
                .Select(pair => new EndpointShare(pair.Key, pair.Value.Value, Share(pair.Value.Value), TopOf(pair.Value.Self, pair.Value.Value, top)))
                .ToList();
            return new ProfileTypeSummary(
                sampleType,
                periodType,
                this.profileCount,
                this.sampleCount,
                this.total,
                this.linked,
                Share(this.matchingFilter),
                TopOf(this.self, this.total, top),
                TopOf(this.inclusive, this.total, top),
                topLinks,
                topEndpoints);
        }

        private static string EndpointOf(ProfilesDictionary dictionary, Sample sample)
        {
            foreach (int index in sample.AttributeIndices)
            {
                if ((uint)index < (uint)dictionary.AttributeTable.Count
                    && StringAt(dictionary, dictionary.AttributeTable[index].KeyStrindex) == LocalRootSpanNameAttribute)
                {
                    return dictionary.AttributeTable[index].Value?.StringValue ?? string.Empty;
                }
            }

            return string.Empty;
        }

        private static void Increment(Dictionary<string, long> values, string key, long weight) =>
            values[key] = values.GetValueOrDefault(key) + weight;
    }
}
