using System.Net;

namespace OpenTelemetry.Profiling.Exporter.Grpc;

/// <summary>
/// One gRPC message frame as request content: the 5-byte header, then the serialized message itself. The
/// message is written from the array the queue holds, so a large request is not copied into a new (large
/// object heap) buffer for every attempt.
/// </summary>
internal sealed class GrpcFrameContent : HttpContent
{
    private readonly byte[] message;
    private readonly bool compressed;

    public GrpcFrameContent(byte[] message, bool compressed)
    {
        ArgumentNullException.ThrowIfNull(message);
        this.message = message;
        this.compressed = compressed;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        this.SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        byte[] header = new byte[GrpcFrame.HeaderLength];
        GrpcFrame.WriteHeader(header, this.message.Length, this.compressed);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(this.message, cancellationToken).ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = GrpcFrame.HeaderLength + this.message.Length;
        return true;
    }
}
