namespace OpenTelemetry.Profiling.Aggregation;

/// <summary>How many frames of an interval's samples (weighted by sample count) were named.</summary>
internal readonly record struct SymbolizationStats(long Frames, long NamedFrames)
{
    public double NamedShare => this.Frames == 0 ? 1 : (double)this.NamedFrames / this.Frames;
}
