namespace OpenTelemetry.Profiling.Exporter.Delivery;

/// <summary>
/// The requests waiting for the network, oldest first, bounded by count and by bytes. Adding never blocks:
/// when a bound is passed the oldest requests are dropped and their number returned. The newest request is
/// always kept, even when it alone passes the byte bound. Thread-safe.
/// </summary>
internal sealed class BoundedRequestQueue : IDisposable
{
    private readonly LinkedList<EncodedRequest> items = new();
    private readonly Lock gate = new();
    private readonly ManualResetEventSlim available = new(false);
    private readonly int maxCount;
    private readonly long maxBytes;
    private long bytes;
    private int highWaterMark;

    public BoundedRequestQueue(int maxCount, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
    }

    public int Count
    {
        get
        {
            lock (this.gate)
            {
                return this.items.Count;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (this.gate)
            {
                return this.bytes;
            }
        }
    }

    /// <summary>Gets the largest number of requests the queue ever held.</summary>
    public int HighWaterMark => Volatile.Read(ref this.highWaterMark);

    /// <summary>Adds <paramref name="request"/> last; returns how many of the oldest were dropped for it.</summary>
    public int Enqueue(EncodedRequest request) => this.Add(request, first: false);

    /// <summary>
    /// Puts back a request whose delivery must be tried again, first in line so order is kept. If that passes a
    /// bound, it is the oldest and the first dropped; returns how many were dropped.
    /// </summary>
    public int ReturnToFront(EncodedRequest request) => this.Add(request, first: true);

    public bool TryDequeue(out EncodedRequest? request)
    {
        lock (this.gate)
        {
            if (this.items.First is not { } node)
            {
                this.available.Reset();
                request = null;
                return false;
            }

            this.items.RemoveFirst();
            this.bytes -= node.Value.Message.Length;
            request = node.Value;
            return true;
        }
    }

    /// <summary>Blocks until a request may be available, <see cref="Wake"/> is called or the token is cancelled.</summary>
    public void WaitForRequest(CancellationToken cancellationToken)
    {
        try
        {
            this.available.Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The caller checks its token.
        }
    }

    /// <summary>Releases a waiting <see cref="WaitForRequest"/> even when the queue is empty.</summary>
    public void Wake() => this.available.Set();

    /// <summary>Drops everything; returns how many requests were dropped.</summary>
    public int Clear()
    {
        lock (this.gate)
        {
            int count = this.items.Count;
            this.items.Clear();
            this.bytes = 0;
            return count;
        }
    }

    public void Dispose() => this.available.Dispose();

    private int Add(EncodedRequest request, bool first)
    {
        ArgumentNullException.ThrowIfNull(request);
        int dropped = 0;
        lock (this.gate)
        {
            if (first)
            {
                this.items.AddFirst(request);
            }
            else
            {
                this.items.AddLast(request);
            }

            this.bytes += request.Message.Length;
            while (this.items.Count > this.maxCount || (this.bytes > this.maxBytes && this.items.Count > 1))
            {
                this.bytes -= this.items.First!.Value.Message.Length;
                this.items.RemoveFirst();
                dropped++;
            }

            if (this.items.Count > this.highWaterMark)
            {
                Volatile.Write(ref this.highWaterMark, this.items.Count);
            }

            this.available.Set();
        }

        return dropped;
    }
}
