namespace OpenTelemetry.Profiling.Correlation;

/// <summary>Outcome of asking a thread's span history what was current at a given time.</summary>
internal enum SpanLookupResult
{
    /// <summary>The state is known (it may be "no span").</summary>
    Found,

    /// <summary>The history no longer reaches back that far; the sample must stay unlinked.</summary>
    Lost,
}
