using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Model;

namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>
/// Accumulates one profile type's samples for one export interval, keyed by raw stack, thread, span and
/// endpoint. Only the consumer thread writes; everything is reused after <see cref="Clear"/>, so in steady
/// state adding a sample allocates nothing. Symbol resolution happens later, once per distinct address.
/// </summary>
internal sealed class SampleAggregator
{
    private readonly Dictionary<SampleKey, long> values = [];
    private readonly List<LinkRecord> links = [default];
    private readonly Dictionary<LinkRecord, int> linkIds = new() { [default] = 0 };
    private readonly List<string> endpoints = [string.Empty];
    private readonly Dictionary<string, int> endpointIds = new(StringComparer.Ordinal) { [string.Empty] = 0 };
    private readonly Dictionary<ulong, (int LinkId, int EndpointId)> spans = [];
    private readonly List<string> labels = [string.Empty];
    private readonly Dictionary<string, int> labelIds = new(StringComparer.Ordinal) { [string.Empty] = 0 };

    public SampleAggregator(int maxStacks)
    {
        this.Stacks = new StackInterner(maxStacks);
    }

    public StackInterner Stacks { get; }

    public IReadOnlyDictionary<SampleKey, long> Values => this.values;

    public IReadOnlyList<LinkRecord> Links => this.links;

    public IReadOnlyList<string> Endpoints => this.endpoints;

    /// <summary>Gets the labels (type names of allocations and exceptions); 0 is "none".</summary>
    public IReadOnlyList<string> Labels => this.labels;

    /// <summary>Gets the number of samples added (each may carry a value other than 1).</summary>
    public long SampleCount { get; private set; }

    /// <summary>Gets the number of samples refused because the interval's stack table was full.</summary>
    public long DroppedSamples { get; private set; }

    public bool Add(int threadId, ReadOnlySpan<ulong> stack, in SpanKey span, long value, string? label = null)
    {
        int stackId = this.Stacks.Intern(stack);
        if (stackId < 0)
        {
            this.DroppedSamples++;
            return false;
        }

        (int linkId, int endpointId) = span.IsNone ? (0, 0) : this.Span(span);
        int labelId = 0;
        if (!string.IsNullOrEmpty(label) && !this.labelIds.TryGetValue(label, out labelId))
        {
            labelId = this.labels.Count;
            this.labels.Add(label);
            this.labelIds.Add(label, labelId);
        }

        var key = new SampleKey(stackId, threadId, linkId, endpointId, labelId);
        ref long slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(this.values, key, out _);
        slot += value;
        this.SampleCount++;
        return true;
    }

    public void Clear()
    {
        this.Stacks.Clear();
        this.values.Clear();
        this.links.RemoveRange(1, this.links.Count - 1);
        this.linkIds.Clear();
        this.linkIds[default] = 0;
        this.endpoints.RemoveRange(1, this.endpoints.Count - 1);
        this.endpointIds.Clear();
        this.endpointIds[string.Empty] = 0;
        this.spans.Clear();
        this.labels.RemoveRange(1, this.labels.Count - 1);
        this.labelIds.Clear();
        this.labelIds[string.Empty] = 0;
        this.SampleCount = 0;
        this.DroppedSamples = 0;
    }

    private (int LinkId, int EndpointId) Span(in SpanKey span)
    {
        if (this.spans.TryGetValue(span.SpanId, out var ids))
        {
            return ids;
        }

        var link = new LinkRecord(span.TraceIdHigh, span.TraceIdLow, span.SpanId);
        if (!this.linkIds.TryGetValue(link, out int linkId))
        {
            linkId = this.links.Count;
            this.links.Add(link);
            this.linkIds.Add(link, linkId);
        }

        string endpoint = SpanNames.Of(span);
        if (!this.endpointIds.TryGetValue(endpoint, out int endpointId))
        {
            endpointId = this.endpoints.Count;
            this.endpoints.Add(endpoint);
            this.endpointIds.Add(endpoint, endpointId);
        }

        ids = (linkId, endpointId);
        this.spans.Add(span.SpanId, ids);
        return ids;
    }
}
