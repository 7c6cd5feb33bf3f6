using Microsoft.AspNetCore.Http;
using OpenTelemetry.Profiling.Exporter;

namespace OpenTelemetry.Profiling.Receiver;

/// <summary>What tests need beyond a well-behaved receiver: a misbehaviour hook, and the request bytes as received.</summary>
public sealed partial class LocalOtlpReceiver
{
    private readonly List<ReceivedProfileMessage> profileMessages = [];

    /// <summary>
    /// Gets or sets a hook run first for every request, for tests that make the collector misbehave (fail, hang,
    /// reset, throttle). When it returns true it has handled the request and the receiver does nothing more.
    /// </summary>
    internal Func<HttpContext, Task<bool>>? Behaviour { get; set; }

    /// <summary>Gets the profile request messages received, decompressed, with how they arrived.</summary>
    internal IReadOnlyList<ReceivedProfileMessage> ProfileMessages
    {
        get
        {
            lock (this.gate)
            {
                return [.. this.profileMessages];
            }
        }
    }

    private static bool IsGzip(string encoding) => string.Equals(encoding.Trim(), OtlpGzip.EncodingName, StringComparison.OrdinalIgnoreCase);

    /// <summary>Undoes <c>gzip</c> (bounded by <see cref="MaxRequestBytes"/>); identity passes through.</summary>
    private static bool TryDecode(ReadOnlyMemory<byte> body, string? encoding, out byte[]? decoded, out string? error)
    {
        decoded = null;
        error = null;
        if (string.IsNullOrWhiteSpace(encoding) || string.Equals(encoding.Trim(), "identity", StringComparison.OrdinalIgnoreCase))
        {
            decoded = body.ToArray();
            return true;
        }

        if (!IsGzip(encoding))
        {
            error = $"Unsupported encoding '{encoding}'.";
            return false;
        }

        try
        {
            decoded = OtlpGzip.Decompress(body, MaxRequestBytes);
            return true;
        }
        catch (InvalidDataException ex)
        {
            error = "Undecodable gzip body: " + ex.Message;
            return false;
        }
    }

    // Called under the gate, with the request it belongs to.
    private void RecordProfileMessage(byte[] message, bool grpc, string? encoding) =>
        this.profileMessages.Add(new ReceivedProfileMessage(message, grpc, encoding));
}
