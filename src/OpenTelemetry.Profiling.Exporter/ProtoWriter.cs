using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Writes protocol buffers' wire format into a buffer sized beforehand with the <c>*Size</c> helpers, the
/// way the generated code does (field order, packed repeated scalars), without building message objects.
/// Every field number used here is below 16, so every tag is one byte.
/// </summary>
internal ref struct ProtoWriter(Span<byte> buffer)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly Span<byte> buffer = buffer;
    private int position;

    public readonly int Position => this.position;

    /// <summary>Bytes a fixed64 (or double) field takes, tag included.</summary>
    public const int Fixed64FieldSize = 1 + 8;

    /// <summary>Bytes a varint takes: 1 for values below 128, up to 10.</summary>
    public static int VarintSize(ulong value) => (BitOperations.Log2(value | 1) / 7) + 1;

    /// <summary>Bytes an int32 or int64 field's value takes: a negative one is sign-extended to 10 bytes.</summary>
    public static int VarintSize(long value) => VarintSize((ulong)value);

    /// <summary>Bytes a length-delimited field takes, tag included, for a payload of <paramref name="length"/> bytes.</summary>
    public static int DelimitedSize(int length) => 1 + VarintSize((ulong)length) + length;

    /// <summary>Bytes a varint field takes, tag included; 0 for a zero value, which proto3 leaves out.</summary>
    public static int VarintFieldSize(long value) => value == 0 ? 0 : 1 + VarintSize(value);

    public static int StringSize(string value) => Utf8.GetByteCount(value);

    /// <summary>The payload of a packed repeated int32 field: the values' varints.</summary>
    public static int PackedSize(int[] values)
    {
        int size = 0;
        foreach (int value in values)
        {
            size += VarintSize((long)value);
        }

        return size;
    }

    /// <summary>Bytes a packed repeated int32 field takes, tag included; 0 when empty, which is left out.</summary>
    public static int PackedFieldSize(int[] values) => values.Length == 0 ? 0 : DelimitedSize(PackedSize(values));

    public void Tag(int field, int wireType) => this.buffer[this.position++] = (byte)((field << 3) | wireType);

    public void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            this.buffer[this.position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        this.buffer[this.position++] = (byte)value;
    }

    /// <summary>A varint field, left out when zero (proto3).</summary>
    public void VarintField(int field, long value)
    {
        if (value != 0)
        {
            this.Tag(field, Varint);
            this.WriteVarint((ulong)value);
        }
    }

    /// <summary>A varint field written even when zero: a oneof member, whose presence is the value.</summary>
    public void PresentVarintField(int field, long value)
    {
        this.Tag(field, Varint);
        this.WriteVarint((ulong)value);
    }

    public void Fixed64Field(int field, ulong value)
    {
        this.Tag(field, Fixed64);
        BinaryPrimitives.WriteUInt64LittleEndian(this.buffer.Slice(this.position, 8), value);
        this.position += 8;
    }

    /// <summary>Starts a length-delimited field (a message, packed values, bytes) whose payload is <paramref name="length"/> bytes.</summary>
    public void StartDelimited(int field, int length)
    {
        this.Tag(field, LengthDelimited);
        this.WriteVarint((ulong)length);
    }

    public void BytesField(int field, scoped ReadOnlySpan<byte> value)
    {
        this.StartDelimited(field, value.Length);
        value.CopyTo(this.buffer[this.position..]);
        this.position += value.Length;
    }

    /// <summary>A string field written even when empty (an element of a repeated field, a oneof member).</summary>
    public void StringField(int field, string value)
    {
        int length = Utf8.GetByteCount(value);
        this.StartDelimited(field, length);
        this.position += Utf8.GetBytes(value, this.buffer.Slice(this.position, length));
    }

    /// <summary>A packed repeated int32 field, left out when empty.</summary>
    public void PackedField(int field, int[] values)
    {
        if (values.Length == 0)
        {
            return;
        }

        this.StartDelimited(field, PackedSize(values));
        foreach (int value in values)
        {
            this.WriteVarint((ulong)(long)value);
        }
    }
}
