namespace OpenTelemetry.Profiling.Exporter.Delivery;

/// <summary>
/// One serialized <c>ExportProfilesServiceRequest</c> waiting in the queue or being sent. The message bytes are
/// produced once, so every attempt and both protocols send the very same bytes.
/// </summary>
internal sealed class EncodedRequest
{
    private byte[]? gzip;

    public EncodedRequest(byte[] message, int profileCount, int sampleCount)
    {
        ArgumentNullException.ThrowIfNull(message);
        this.Message = message;
        this.ProfileCount = profileCount;
        this.SampleCount = sampleCount;
    }

    /// <summary>Gets the serialized request, uncompressed.</summary>
    public byte[] Message { get; }

    public int ProfileCount { get; }

    public int SampleCount { get; }

    /// <summary>Gets the gzip form, compressed on first use and kept for retries. Used by the sender thread only.</summary>
    public byte[] GetGzip() => this.gzip ??= OtlpGzip.Compress(this.Message);
}
