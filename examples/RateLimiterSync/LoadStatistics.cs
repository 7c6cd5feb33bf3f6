namespace RateLimiterSync;

/// <summary>What the load generator saw, updated by all clients at once.</summary>
internal sealed class LoadStatistics
{
    private long ok;
    private long limited;
    private long failed;

    public long Ok => Interlocked.Read(ref this.ok);

    public long Limited => Interlocked.Read(ref this.limited);

    /// <summary>Gets the requests that got neither 2xx nor 429, or no answer at all.</summary>
    public long Failed => Interlocked.Read(ref this.failed);

    public long Completed => this.Ok + this.Limited + this.Failed;

    public void RecordOk() => Interlocked.Increment(ref this.ok);

    public void RecordLimited() => Interlocked.Increment(ref this.limited);

    public void RecordFailed() => Interlocked.Increment(ref this.failed);
}
