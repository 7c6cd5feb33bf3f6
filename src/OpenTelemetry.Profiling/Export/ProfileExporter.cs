using OpenTelemetry.Profiling.Model;

namespace OpenTelemetry.Profiling.Export;

/// <summary>
/// Receives each export interval's <see cref="ProfileBatch"/>. Implementations never throw: they report
/// failure through the returned <see cref="ExportResult"/> and the self-diagnostics EventSource.
/// Calls come from one background thread, one at a time.
/// </summary>
internal abstract class ProfileExporter : IDisposable
{
    public abstract ExportResult Export(ProfileBatch batch, CancellationToken cancellationToken);

    /// <summary>Finishes pending work within <paramref name="timeout"/>; returns false if it could not.</summary>
    public virtual bool Shutdown(TimeSpan timeout) => true;

    public void Dispose()
    {
        this.Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
