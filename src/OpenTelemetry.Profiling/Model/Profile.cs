namespace OpenTelemetry.Profiling.Model;

/// <summary>
/// One profile of one type (CPU, wall, ...) over one export interval, its samples aggregated.
/// All indices refer to the <see cref="ProfileDictionary"/> of the batch that holds it.
/// </summary>
internal sealed class Profile
{
    public Profile(
        ValueTypeRecord sampleType,
        ValueTypeRecord periodType,
        long period,
        ulong timeUnixNano,
        ulong durationNano,
        IReadOnlyList<SampleRecord> samples,
        int[] attributeIndices)
    {
        this.SampleType = sampleType;
        this.PeriodType = periodType;
        this.Period = period;
        this.TimeUnixNano = timeUnixNano;
        this.DurationNano = durationNano;
        this.Samples = samples;
        this.AttributeIndices = attributeIndices;
    }

    public ValueTypeRecord SampleType { get; }

    public ValueTypeRecord PeriodType { get; }

    /// <summary>Gets the sampling period in units of <see cref="PeriodType"/>.</summary>
    public long Period { get; }

    public ulong TimeUnixNano { get; }

    public ulong DurationNano { get; }

    public IReadOnlyList<SampleRecord> Samples { get; }

    /// <summary>Gets profile-level attribute indices.</summary>
    public int[] AttributeIndices { get; }
}
