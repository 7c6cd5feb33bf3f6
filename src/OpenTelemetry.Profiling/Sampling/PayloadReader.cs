using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Sequential reader over an event payload (packed little-endian fields, NUL-terminated UTF-16 strings).
/// Failure is reported through <see cref="Ok"/> rather than exceptions so decoders stay cheap on the hot path and a
/// short payload (older event version) is a "no" answer, not a crash.
/// </summary>
internal ref struct PayloadReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _pointerSize;
    private int _position;

    public PayloadReader(ReadOnlySpan<byte> data, int pointerSize)
    {
        _data = data;
        _pointerSize = pointerSize;
        _position = 0;
        Ok = true;
    }

    /// <summary>False once any read ran past the end of the payload.</summary>
    public bool Ok { get; private set; }

    public readonly int Remaining => _data.Length - _position;

    public byte ReadUInt8() => TryTake(1, out ReadOnlySpan<byte> s) ? s[0] : default;

    public ushort ReadUInt16() => TryTake(2, out ReadOnlySpan<byte> s) ? BinaryPrimitives.ReadUInt16LittleEndian(s) : default;

    public uint ReadUInt32() => TryTake(4, out ReadOnlySpan<byte> s) ? BinaryPrimitives.ReadUInt32LittleEndian(s) : default;

    public ulong ReadUInt64() => TryTake(8, out ReadOnlySpan<byte> s) ? BinaryPrimitives.ReadUInt64LittleEndian(s) : default;

    public double ReadDouble() => TryTake(8, out ReadOnlySpan<byte> s) ? BinaryPrimitives.ReadDoubleLittleEndian(s) : default;

    public Guid ReadGuid() => TryTake(16, out ReadOnlySpan<byte> s) ? new Guid(s) : default;

    /// <summary>Reads a field declared win:Pointer: its width is the traced process's pointer size.</summary>
    public ulong ReadPointer() => _pointerSize == 4 ? ReadUInt32() : ReadUInt64();

    /// <summary>Reads a NUL-terminated UTF-16 string as a view into the payload (no allocation).</summary>
    public ReadOnlySpan<char> ReadUtf16String()
    {
        if (!Ok)
        {
            return default;
        }

        ReadOnlySpan<byte> rest = _data[_position..];
        ReadOnlySpan<char> chars = MemoryMarshal.Cast<byte, char>(rest[..(rest.Length & ~1)]);
        int length = chars.IndexOf('\0');
        if (length < 0)
        {
            Ok = false;
            return default;
        }

        _position += (length + 1) * 2;
        return chars[..length];
    }

    private bool TryTake(int count, out ReadOnlySpan<byte> span)
    {
        if (!Ok || _data.Length - _position < count)
        {
            Ok = false;
            span = default;
            return false;
        }

        span = _data.Slice(_position, count);
        _position += count;
        return true;
    }
}
