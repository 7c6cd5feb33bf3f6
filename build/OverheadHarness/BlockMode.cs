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
}
