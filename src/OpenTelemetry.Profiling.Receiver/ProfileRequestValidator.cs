using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Profiles.V1Development;
using ValueType = OpenTelemetry.Proto.Profiles.V1Development.ValueType;

namespace OpenTelemetry.Profiling.Receiver;

/// <summary>
/// Checks an <see cref="ExportProfilesServiceRequest"/> against the rules of the OTLP profiles data model:
/// index 0 of every dictionary table present and holding the zero value, every index in bounds, no
/// attribute key repeated within one attribute_indices list, every sample with values (or timestamps).
/// </summary>
internal static class ProfileRequestValidator
{
    public static IReadOnlyList<string> Validate(ExportProfilesServiceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var violations = new List<string>();
        var d = request.Dictionary;
        if (d is null)
        {
            violations.Add("dictionary is missing");
            return violations;
        }

        CheckZeroEntry(violations, "string_table", d.StringTable, s => s.Length == 0);
        CheckZeroEntry(violations, "mapping_table", d.MappingTable, m => m.Equals(new Mapping()));
        CheckZeroEntry(violations, "location_table", d.LocationTable, l => l.Equals(new Location()));
        CheckZeroEntry(violations, "function_table", d.FunctionTable, f => f.Equals(new Function()));
        CheckZeroEntry(violations, "attribute_table", d.AttributeTable, a => a.Equals(new KeyValueAndUnit()));
        CheckZeroEntry(violations, "stack_table", d.StackTable, s => s.Equals(new Stack()));
        CheckZeroEntry(
            violations,
            "link_table",
            d.LinkTable,
            l => l.TraceId.Length == 16 && l.SpanId.Length == 8 && !l.TraceId.Span.ContainsAnyExcept((byte)0) && !l.SpanId.Span.ContainsAnyExcept((byte)0));

        var checker = new Checker(d, violations);
        for (int i = 0; i < d.MappingTable.Count; i++)
        {
            var mapping = d.MappingTable[i];
            string where = $"mapping_table[{i}]";
            checker.String(where + ".filename_strindex", mapping.FilenameStrindex);
            checker.Attributes(where + ".attribute_indices", mapping.AttributeIndices);
        }

        for (int i = 0; i < d.LocationTable.Count; i++)
        {
            var location = d.LocationTable[i];
            string where = $"location_table[{i}]";
            checker.Index(where + ".mapping_index", location.MappingIndex, d.MappingTable.Count);
            for (int j = 0; j < location.Lines.Count; j++)
            {
                checker.Index($"{where}.lines[{j}].function_index", location.Lines[j].FunctionIndex, d.FunctionTable.Count);
            }

            checker.Attributes(where + ".attribute_indices", location.AttributeIndices);
        }

        for (int i = 0; i < d.FunctionTable.Count; i++)
        {
            var function = d.FunctionTable[i];
            string where = $"function_table[{i}]";
            checker.String(where + ".name_strindex", function.NameStrindex);
            checker.String(where + ".system_name_strindex", function.SystemNameStrindex);
            checker.String(where + ".filename_strindex", function.FilenameStrindex);
        }

        for (int i = 0; i < d.AttributeTable.Count; i++)
        {
            var attribute = d.AttributeTable[i];
            string where = $"attribute_table[{i}]";
            checker.String(where + ".key_strindex", attribute.KeyStrindex);
            checker.String(where + ".unit_strindex", attribute.UnitStrindex);
            if (attribute.Value?.ValueCase == Proto.Common.V1.AnyValue.ValueOneofCase.StringValueStrindex)
            {
                checker.String(where + ".value.string_value_strindex", attribute.Value.StringValueStrindex);
            }
        }

        for (int i = 1; i < d.StackTable.Count; i++)
        {
            var locations = d.StackTable[i].LocationIndices;
            for (int j = 0; j < locations.Count; j++)
            {
                string where = $"stack_table[{i}].location_indices[{j}]";
                checker.Index(where, locations[j], d.LocationTable.Count);
                if (locations[j] == 0)
                {
                    violations.Add(where + " refers to the zero location");
                }
            }
        }

        for (int i = 1; i < d.LinkTable.Count; i++)
        {
            var link = d.LinkTable[i];
            if (link.TraceId.Length != 16 || link.SpanId.Length != 8)
            {
                violations.Add($"link_table[{i}] has a {link.TraceId.Length}-byte trace id and a {link.SpanId.Length}-byte span id (expected 16 and 8)");
            }
        }

        for (int r = 0; r < request.ResourceProfiles.Count; r++)
        {
            var resourceProfiles = request.ResourceProfiles[r];
            for (int s = 0; s < resourceProfiles.ScopeProfiles.Count; s++)
            {
                var profiles = resourceProfiles.ScopeProfiles[s].Profiles;
                for (int p = 0; p < profiles.Count; p++)
                {
                    ValidateProfile(checker, violations, $"resource_profiles[{r}].scope_profiles[{s}].profiles[{p}]", profiles[p]);
                }
            }
        }

        return violations;
    }

    private static void ValidateProfile(Checker checker, List<string> violations, string where, Profile profile)
    {
        checker.ValueType(where + ".sample_type", profile.SampleType);
        checker.ValueType(where + ".period_type", profile.PeriodType);
        checker.Attributes(where + ".attribute_indices", profile.AttributeIndices);
        if (!profile.ProfileId.IsEmpty && (profile.ProfileId.Length != 16 || !profile.ProfileId.Span.ContainsAnyExcept((byte)0)))
        {
            violations.Add(where + ".profile_id is set but not 16 bytes with at least one non-zero byte");
        }

        for (int i = 0; i < profile.Samples.Count; i++)
        {
            var sample = profile.Samples[i];
            string sampleWhere = $"{where}.samples[{i}]";
            checker.Index(sampleWhere + ".stack_index", sample.StackIndex, checker.Dictionary.StackTable.Count);
            checker.Index(sampleWhere + ".link_index", sample.LinkIndex, checker.Dictionary.LinkTable.Count);
            checker.Attributes(sampleWhere + ".attribute_indices", sample.AttributeIndices);
            if (sample.Values.Count == 0 && sample.TimestampsUnixNano.Count == 0)
            {
                violations.Add(sampleWhere + " has neither values nor timestamps");
            }
            else if (sample.Values.Count > 0 && sample.TimestampsUnixNano.Count > 0 && sample.Values.Count != sample.TimestampsUnixNano.Count)
            {
                violations.Add(sampleWhere + " has values and timestamps of different lengths");
            }
        }
    }

    private static void CheckZeroEntry<T>(List<string> violations, string table, RepeatedField<T> entries, Func<T, bool> isZero)
    {
        if (entries.Count == 0)
        {
            violations.Add(table + " is empty: index 0 must hold the zero value");
        }
        else if (!isZero(entries[0]))
        {
            violations.Add(table + "[0] is not the zero value");
        }
    }

    private sealed class Checker(ProfilesDictionary dictionary, List<string> violations)
    {
        private readonly HashSet<int> keys = [];

        public ProfilesDictionary Dictionary => dictionary;

        public void Index(string where, int index, int count)
        {
            if (index < 0 || index >= count)
            {
                violations.Add($"{where} = {index} is out of bounds (table size {count})");
            }
        }

        public void String(string where, int index) => this.Index(where, index, dictionary.StringTable.Count);

        public void ValueType(string where, ValueType? valueType)
        {
            if (valueType is not null)
            {
                this.String(where + ".type_strindex", valueType.TypeStrindex);
                this.String(where + ".unit_strindex", valueType.UnitStrindex);
            }
        }

        public void Attributes(string where, RepeatedField<int> indices)
        {
            this.keys.Clear();
            for (int i = 0; i < indices.Count; i++)
            {
                int index = indices[i];
                if (index < 0 || index >= dictionary.AttributeTable.Count)
                {
                    violations.Add($"{where}[{i}] = {index} is out of bounds (table size {dictionary.AttributeTable.Count})");
                }
                else if (!this.keys.Add(dictionary.AttributeTable[index].KeyStrindex))
                {
                    violations.Add($"{where} repeats the attribute key at string index {dictionary.AttributeTable[index].KeyStrindex}");
                }
            }
        }
    }
}
