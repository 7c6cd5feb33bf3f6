using System.Buffers.Binary;

namespace OpenTelemetry.Profiling.Exporter.Grpc;

/// <summary>
/// The gRPC length-prefixed message: one byte compressed flag, four bytes big-endian length, then the
/// message (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md). Shared with the receiver.
/// </summary>
internal static class GrpcFrame
{
    public const int HeaderLength = 5;

    public const string ContentType = "application/grpc";

    public const string StatusHeader = "grpc-status";

    public const string MessageHeader = "grpc-message";

    public const string StatusDetailsHeader = "grpc-status-details-bin";

    public const string EncodingHeader = "grpc-encoding";

    public const string AcceptEncodingHeader = "grpc-accept-encoding";

    public static void WriteHeader(Span<byte> destination, int messageLength, bool compressed = false)
    {
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)messageLength);
    }

    /// <summary>
    /// Finds the single uncompressed message in <paramref name="frame"/>; returns an error text when the
    /// frame is truncated, compressed, or followed by trailing bytes.
    /// </summary>
    public static bool TryReadMessage(ReadOnlyMemory<byte> frame, out ReadOnlyMemory<byte> message, out string? error)
    {
        if (!TryReadMessage(frame, out message, out bool compressed, out error))
        {
            return false;
        }

        if (compressed)
        {
            message = default;
            error = "Compressed gRPC messages are not supported.";
            return false;
        }

        return true;
    }

    /// <summary>
    /// Finds the single message in <paramref name="frame"/> and whether its compressed flag is set; returns an
    /// error text when the frame is truncated, has an invalid flag, or is followed by trailing bytes.
    /// </summary>
    public static bool TryReadMessage(ReadOnlyMemory<byte> frame, out ReadOnlyMemory<byte> message, out bool compressed, out string? error)
    {
        message = default;
        compressed = false;
        if (frame.Length < HeaderLength)
        {
            error = $"gRPC frame too short: {frame.Length} bytes.";
            return false;
        }

        var span = frame.Span;
        if (span[0] > 1)
        {
            error = $"Invalid gRPC compressed flag {span[0]}.";
            return false;
        }

        compressed = span[0] == 1;

        uint length = BinaryPrimitives.ReadUInt32BigEndian(span[1..]);
        if (length != (uint)(frame.Length - HeaderLength))
        {
            error = $"gRPC frame declares {length} bytes but carries {frame.Length - HeaderLength}.";
            return false;
        }

        message = frame[HeaderLength..];
        error = null;
        return true;
    }

    /// <summary>Percent-encodes a status message as gRPC requires for <c>grpc-message</c>.</summary>
    public static string EncodeMessage(string message) => Uri.EscapeDataString(message);

    /// <summary>Decodes a percent-encoded <c>grpc-message</c>; invalid escapes are kept as they are.</summary>
    public static string DecodeMessage(string message) => Uri.UnescapeDataString(message);
}
