using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RateLimiterSync;

/// <summary>
/// The sync wire format: a JSON snapshot of every key's counters, each entry signed with HMAC-SHA256, and a
/// digest over the sorted state that nodes compare to know they converged. All of it is deliberately real
/// work (serialization, hashing, sorting) that grows with the number of keys: this is the CPU the profiler
/// attributes to <c>SyncLimits</c>.
/// </summary>
internal static class ReplicationCodec
{
    // A shared cluster secret; a real deployment would get it from its secret store.
    private static readonly byte[] ClusterSecret = Encoding.UTF8.GetBytes("rate-limiter-sync demo cluster secret");

    public static byte[] Encode(int nodeId, long round, IEnumerable<KeyValuePair<string, long[]>> state)
    {
        var entries = new List<SyncEntry>();
        foreach (var (key, consumed) in state)
        {
            entries.Add(new SyncEntry(key, consumed, Sign(key, consumed)));
        }

        return JsonSerializer.SerializeToUtf8Bytes(new SyncMessage(nodeId, round, entries), SyncJsonContext.Default.SyncMessage);
    }

    /// <summary>Parses a snapshot and keeps only the entries whose signature checks out.</summary>
    /// <returns>The valid entries and how many were rejected.</returns>
    public static (IReadOnlyList<SyncEntry> Valid, int Rejected) Decode(byte[] payload)
    {
        var message = JsonSerializer.Deserialize(payload, SyncJsonContext.Default.SyncMessage)
            ?? throw new InvalidDataException("Empty sync message.");
        var valid = new List<SyncEntry>(message.Entries.Count);
        int rejected = 0;
        foreach (var entry in message.Entries)
        {
            if (Verify(entry))
            {
                valid.Add(entry);
            }
            else
            {
                rejected++;
            }
        }

        return (valid, rejected);
    }

    /// <summary>A SHA-256 over the state in key order, so two nodes with the same counters get the same digest.</summary>
    public static string Digest(IEnumerable<KeyValuePair<string, long[]>> state)
    {
        var ordered = state.ToArray();
        Array.Sort(ordered, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[sizeof(long)];
        foreach (var (key, consumed) in ordered)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(key));
            foreach (long value in consumed)
            {
                BinaryPrimitives.WriteInt64LittleEndian(number, value);
                hash.AppendData(number);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Sign(string key, long[] consumed) => Convert.ToHexStringLower(HMACSHA256.HashData(ClusterSecret, Canonical(key, consumed)));

    private static bool Verify(SyncEntry entry)
    {
        byte[] expected = HMACSHA256.HashData(ClusterSecret, Canonical(entry.Key, entry.Consumed));
        byte[] actual;
        try
        {
            actual = Convert.FromHexString(entry.Mac);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    // The bytes that are signed: the key in UTF-8, then every counter as 8 little-endian bytes.
    private static byte[] Canonical(string key, long[] consumed)
    {
        int keyBytes = Encoding.UTF8.GetByteCount(key);
        byte[] buffer = new byte[keyBytes + (consumed.Length * sizeof(long))];
        Encoding.UTF8.GetBytes(key, buffer);
        for (int i = 0; i < consumed.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(keyBytes + (i * sizeof(long))), consumed[i]);
        }

        return buffer;
    }
}
