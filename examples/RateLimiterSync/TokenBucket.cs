using System.Diagnostics;

namespace RateLimiterSync;

/// <summary>
/// A classic token bucket: holds up to <see cref="Capacity"/> tokens, refills at <see cref="RefillPerSecond"/>,
/// and a request takes one token. Refill is computed lazily from the elapsed time, so an idle bucket costs
/// nothing. Thread-safe.
/// </summary>
internal sealed class TokenBucket
{
    private readonly Lock gate = new();
    private double tokens;
    private long lastRefill;

    public TokenBucket(double capacity, double refillPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(refillPerSecond);
        this.Capacity = capacity;
        this.RefillPerSecond = refillPerSecond;
        this.tokens = capacity;
        this.lastRefill = Stopwatch.GetTimestamp();
    }

    public double Capacity { get; }

    public double RefillPerSecond { get; }

    /// <summary>Gets the tokens available now; negative while the bucket pays back a debt from peers.</summary>
    public double Available
    {
        get
        {
            lock (this.gate)
            {
                this.Refill();
                return this.tokens;
            }
        }
    }

    /// <summary>Takes one token if there is one.</summary>
    /// <param name="remaining">The whole tokens left after the attempt.</param>
    /// <param name="retryAfter">When refused, how long until a token is back.</param>
    /// <returns><see langword="true"/> if the request may proceed.</returns>
    public bool TryTake(out int remaining, out TimeSpan retryAfter)
    {
        lock (this.gate)
        {
            this.Refill();
            if (this.tokens >= 1)
            {
                this.tokens -= 1;
                remaining = (int)this.tokens;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            remaining = 0;
            retryAfter = TimeSpan.FromSeconds((1 - this.tokens) / this.RefillPerSecond);
            return false;
        }
    }

    /// <summary>
    /// Removes tokens that other nodes handed out for the same key. The bucket may go into debt (down to minus
    /// its capacity): the cluster over-admitted, and this node makes up for it by refusing for a while.
    /// </summary>
    public void Drain(double count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (this.gate)
        {
            this.Refill();
            this.tokens = Math.Max(this.tokens - count, -this.Capacity);
        }
    }

    private void Refill()
    {
        long now = Stopwatch.GetTimestamp();
        double elapsedSeconds = Stopwatch.GetElapsedTime(this.lastRefill, now).TotalSeconds;
        this.lastRefill = now;
        this.tokens = Math.Min(this.Capacity, this.tokens + (elapsedSeconds * this.RefillPerSecond));
    }
}
