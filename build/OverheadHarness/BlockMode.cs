namespace OverheadHarness;

/// <summary>What runs next to the workload during a measured block.</summary>
internal enum BlockMode
{
    /// <summary>No profiler: the baseline.</summary>
    Off,

    /// <summary>Our profiler with the default set-up, exporting to the local receiver.</summary>
    On,

    /// <summary>dotnet-trace attached from outside: the peer to compare with.</summary>
    Peer,

    /// <summary>Profiling on, its exporter pointed at a closed port: the collector is down.</summary>
    Down,

    /// <summary>
    /// Profiling on with everything but the sampling windows: span tracking, the method and event sessions and
    /// export every 10 s as in "on", the duty cycle at its 0.01 floor (a 100 s cycle: no window opens after the
    /// first one, which falls in the profiler's settling).
    /// </summary>
    NoSampling,

    /// <summary>
    /// Profiling on with nothing but span tracking, the method session and export: as <see cref="NoSampling"/>,
    /// and neither the wall profile (no in-flight span table) nor the exception events' session.
    /// </summary>
    SpansOnly,
}
