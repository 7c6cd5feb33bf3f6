namespace OverheadHarness;

/// <summary>One judged sampling window.</summary>
/// <param name="Label">The set-up it ran with.</param>
/// <param name="Loss">The throughput it cost, as a share of its cycle.</param>
/// <param name="Planned">How long the scheduler meant it to sample.</param>
/// <param name="Length">How long it lasted, until its session had stopped.</param>
/// <param name="Profile">
/// The share of throughput missing in each 100 ms reading from 0.2 s before it opened to 4 s after (NaN: no
/// reading); <see cref="WindowCostMeter.ProfileReadingEnd"/> tells where each ends.
/// </param>
internal sealed record JudgedWindow(string Label, double Loss, TimeSpan Planned, TimeSpan Length, double[] Profile);
