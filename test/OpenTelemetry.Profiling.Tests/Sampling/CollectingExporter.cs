using OpenTelemetry.Profiling.Export;
using OpenTelemetry.Profiling.Model;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>An exporter that keeps every batch it is given, for tests that go through the whole SDK.</summary>
internal sealed class CollectingExporter : ProfileExporter
{
    private readonly List<ProfileBatch> batches = [];

    public IReadOnlyList<ProfileBatch> Batches
    {
        get
        {
            lock (this.batches)
            {
                return [.. this.batches];
            }
        }
    }

    public override ExportResult Export(ProfileBatch batch, CancellationToken cancellationToken)
    {
        lock (this.batches)
        {
            this.batches.Add(batch);
        }

        return ExportResult.Success;
    }
}
