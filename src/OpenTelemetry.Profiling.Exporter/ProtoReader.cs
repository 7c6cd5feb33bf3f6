using System.Buffers.Binary;
using System.Text;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Reads protocol buffers' wire format field by field, for the few small messages a collector sends back
/// (the export response, a gRPC status). Malformed input throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> data = data;
    private int position;

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        if (this.position >= this.data.Length)
        {
            field = 0;
            wireType = 0;
            return false;
        }

        ulong tag = this.ReadVarint();
        if (tag >> 3 is 0 or > (1 << 29) - 1)
        {
            throw new InvalidDataException($"Field number {tag >> 3} is out of range.");
        }

        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (this.position >= this.data.Length)
            {
                throw new InvalidDataException("The message ends inside a varint.");
            }

            byte next = this.data[this.position++];
            result |= (ulong)(next & 0x7F) << shift;
            if (next < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("A varint is longer than 10 bytes.");
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        ulong length = this.ReadVarint();
        if (length > (ulong)(this.data.Length - this.position))
        {
            throw new InvalidDataException($"A field of {length} bytes runs past the end of its message.");
        }

        var value = this.data.Slice(this.position, (int)length);
        this.position += (int)length;
        return value;
    }

    public string ReadString()
    {
        try
        {
            return Utf8.GetString(this.ReadLengthDelimited());
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException("A string field is not UTF-8.", ex);
        }
    }

    /// <summary>Skips the value of a field this reader does not use, as a parser skips unknown fields.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case ProtoWriter.Varint:
                _ = this.ReadVarint();
                break;
            case ProtoWriter.Fixed64:
                this.Advance(8);
                break;
            case ProtoWriter.LengthDelimited:
                _ = this.ReadLengthDelimited();
                break;
            case ProtoWriter.Fixed32:
                this.Advance(4);
                break;
            default:
                throw new InvalidDataException($"Wire type {wireType} is not supported.");
        }
    }

    private void Advance(int count)
    {
        if (this.data.Length - this.position < count)
        {
            throw new InvalidDataException("The message ends inside a fixed-size field.");
        }

        this.position += count;
    }
}
