namespace OverheadHarness;

/// <summary>A load the harness measures: it runs until cancelled and counts what it completed.</summary>
internal interface IWorkload
{
    /// <summary>Gets the units of work completed so far (requests, or CPU work units).</summary>
    long Completed { get; }

    /// <summary>Gets the units that failed (requests with no or an unexpected answer).</summary>
    long Failed { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
