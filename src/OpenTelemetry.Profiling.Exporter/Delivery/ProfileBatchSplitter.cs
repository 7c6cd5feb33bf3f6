using OpenTelemetry.Profiling.Model;

namespace OpenTelemetry.Profiling.Exporter.Delivery;

/// <summary>
/// Serializes a <see cref="ProfileBatch"/> into requests of at most a given size. A batch too large is cut
/// into runs of samples (in profile order), each rebuilt as a batch with its own dictionary that holds only
/// what its samples refer to, so every request stands on its own. A single sample is never cut, so a request
/// of one sample may still be larger.
/// </summary>
internal static class ProfileBatchSplitter
{
    public static List<EncodedRequest> Encode(ProfileBatch batch, int maxRequestBytes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRequestBytes, 1);
        var requests = new List<EncodedRequest>();
        Encode(batch, maxRequestBytes, requests);
        return requests;
    }

    /// <summary>The samples from <paramref name="from"/> (counted across profiles) on, re-interned into a new dictionary.</summary>
    internal static ProfileBatch Slice(ProfileBatch batch, int from, int count)
    {
        var remap = new DictionaryRemapper(batch.Dictionary);
        var profiles = new List<Model.Profile>();
        int offset = 0;
        foreach (var profile in batch.Profiles)
        {
            int sampleCount = profile.Samples.Count;
            int start = Math.Max(from, offset);
            int end = Math.Min(from + count, offset + sampleCount);

            // A profile without samples travels with the first slice, so nothing is lost.
            if (end > start || (sampleCount == 0 && from == 0))
            {
                var samples = new List<SampleRecord>(Math.Max(0, end - start));
                for (int i = start; i < end; i++)
                {
                    samples.Add(remap.Sample(profile.Samples[i - offset]));
                }

                profiles.Add(new Model.Profile(
                    remap.ValueType(profile.SampleType),
                    remap.ValueType(profile.PeriodType),
                    profile.Period,
                    profile.TimeUnixNano,
                    profile.DurationNano,
                    samples,
                    remap.Attributes(profile.AttributeIndices)));
            }

            offset += sampleCount;
        }

        return new ProfileBatch(remap.Build(), profiles, batch.Resource);
    }

    private static void Encode(ProfileBatch batch, int maxRequestBytes, List<EncodedRequest> requests)
    {
        var request = OtlpRequestEncoding.Measure(batch);
        int size = request.Size;
        int samples = batch.SampleCount;
        if (size <= maxRequestBytes || samples <= 1)
        {
            requests.Add(new EncodedRequest(request.ToArray(), batch.Profiles.Count, samples));
            return;
        }

        // Cut into as many parts as the size suggests; a part that is still too large is cut again.
        int parts = Math.Clamp((int)Math.Ceiling((double)size / maxRequestBytes), 2, samples);
        int perPart = (samples + parts - 1) / parts;
        for (int from = 0; from < samples; from += perPart)
        {
            Encode(Slice(batch, from, Math.Min(perPart, samples - from)), maxRequestBytes, requests);
        }
    }

    /// <summary>Copies entries of one dictionary into a new one on first use, remembering where each went.</summary>
    private sealed class DictionaryRemapper
    {
        private readonly ProfileDictionary source;
        private readonly ProfileDictionaryBuilder target = new();
        private readonly int[] functions;
        private readonly int[] locations;
        private readonly int[] stacks;
        private readonly int[] attributes;
        private readonly int[] links;

        public DictionaryRemapper(ProfileDictionary source)
        {
            this.source = source;
            this.functions = NewMap(source.Functions.Count);
            this.locations = NewMap(source.Locations.Count);
            this.stacks = NewMap(source.Stacks.Count);
            this.attributes = NewMap(source.Attributes.Count);
            this.links = NewMap(source.Links.Count);
        }

        public ProfileDictionary Build() => this.target.Build();

        public SampleRecord Sample(SampleRecord sample) =>
            new(this.Stack(sample.StackIndex), this.Attributes(sample.AttributeIndices), this.Link(sample.LinkIndex), sample.Value);

        public ValueTypeRecord ValueType(ValueTypeRecord valueType) =>
            this.target.ValueType(this.String(valueType.TypeStrIndex), this.String(valueType.UnitStrIndex));

        public int[] Attributes(int[] indices)
        {
            int[] result = new int[indices.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                result[i] = this.Attribute(indices[i]);
            }

            return result;
        }

        private static int[] NewMap(int count)
        {
            int[] map = new int[count];
            Array.Fill(map, -1);
            if (count > 0)
            {
                map[0] = 0;
            }

            return map;
        }

        private string String(int index) => this.source.Strings[index];

        private int Function(int index)
        {
            if (this.functions[index] < 0)
            {
                var f = this.source.Functions[index];
                this.functions[index] = this.target.Function(this.String(f.NameStrIndex), this.String(f.SystemNameStrIndex), this.String(f.FileNameStrIndex), f.StartLine);
            }

            return this.functions[index];
        }

        private int Location(int index)
        {
            if (this.locations[index] < 0)
            {
                var location = this.source.Locations[index];
                this.locations[index] = this.target.Location(this.Function(location.FunctionIndex), location.Address, this.Attributes(location.AttributeIndices));
            }

            return this.locations[index];
        }

        private int Stack(int index)
        {
            if (this.stacks[index] < 0)
            {
                int[] sourceLocations = this.source.Stacks[index].LocationIndices;
                int[] mapped = new int[sourceLocations.Length];
                for (int i = 0; i < mapped.Length; i++)
                {
                    mapped[i] = this.Location(sourceLocations[i]);
                }

                this.stacks[index] = this.target.Stack(mapped);
            }

            return this.stacks[index];
        }

        private int Attribute(int index)
        {
            if (this.attributes[index] < 0)
            {
                var attribute = this.source.Attributes[index];
                string unit = this.String(attribute.UnitStrIndex);
                this.attributes[index] = this.target.Attribute(this.String(attribute.KeyStrIndex), attribute.Value, unit.Length == 0 ? null : unit);
            }

            return this.attributes[index];
        }

        private int Link(int index)
        {
            if (this.links[index] < 0)
            {
                this.links[index] = this.target.Link(this.source.Links[index]);
            }

            return this.links[index];
        }
    }
}
