using System.IO.Compression;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>gzip for request bodies; shared with the receiver, which must bound what it inflates.</summary>
internal static class OtlpGzip
{
    public const string EncodingName = "gzip";

    public static byte[] Compress(ReadOnlySpan<byte> data)
    {
        using var buffer = new MemoryStream(Math.Max(64, data.Length / 4));
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    /// <summary>Inflates <paramref name="data"/>; throws <see cref="InvalidDataException"/> past <paramref name="maxBytes"/>.</summary>
    public static byte[] Decompress(ReadOnlyMemory<byte> data, int maxBytes)
    {
        using var input = new MemoryStream(data.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        byte[] chunk = new byte[64 * 1024];
        int read;
        while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (output.Length + read > maxBytes)
            {
                throw new InvalidDataException($"Decompressed body exceeds {maxBytes} bytes.");
            }

            output.Write(chunk, 0, read);
        }

        return output.ToArray();
    }
}
