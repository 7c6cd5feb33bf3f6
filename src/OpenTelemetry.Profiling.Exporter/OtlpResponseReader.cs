using OpenTelemetry.Profiling.Exporter.Grpc;

namespace OpenTelemetry.Profiling.Exporter;

/// <summary>
/// Reads what a collector sends back, from the field tables of the OTLP and gRPC protos: the
/// <c>ExportProfilesServiceResponse</c> (its partial success) and the <c>RetryInfo</c> inside a
/// <c>google.rpc.Status</c>. Read by hand, so exporting never loads a protobuf library into the app.
/// Unknown fields are skipped; malformed input throws <see cref="InvalidDataException"/>.
/// </summary>
internal static class OtlpResponseReader
{
    public const string RetryInfoTypeUrl = "type.googleapis.com/google.rpc.RetryInfo";

    // ExportProfilesServiceResponse.partial_success; ExportProfilesPartialSuccess's fields.
    private const int ResponsePartialSuccess = 1;
    private const int PartialSuccessRejectedProfiles = 1;
    private const int PartialSuccessErrorMessage = 2;

    // google.rpc.Status.details (google.protobuf.Any), RetryInfo.retry_delay (google.protobuf.Duration).
    private const int StatusDetails = 3;
    private const int AnyTypeUrl = 1;
    private const int AnyValue = 2;
    private const int RetryInfoRetryDelay = 1;
    private const int DurationSeconds = 1;
    private const int DurationNanos = 2;

    // google.protobuf.Duration's range: +-10,000 years.
    private const long MaxDurationSeconds = 315_576_000_000;

    /// <summary>A successful export's response: a partial success when the message has one.</summary>
    public static OtlpExportResult ReadExportResponse(ReadOnlySpan<byte> message)
    {
        bool partial = false;
        long rejected = 0;
        string errorMessage = string.Empty;
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out int field, out int wireType))
        {
            if (field == ResponsePartialSuccess && wireType == ProtoWriter.LengthDelimited)
            {
                // A message field seen twice is merged, as parsers do: later scalars win.
                partial = true;
                MergePartialSuccess(reader.ReadLengthDelimited(), ref rejected, ref errorMessage);
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return partial
            ? new OtlpExportResult(GrpcStatusCode.Ok, null, rejected, errorMessage)
            : new OtlpExportResult(GrpcStatusCode.Ok, null);
    }

    /// <summary>
    /// The delay of the first <c>RetryInfo</c> among a <c>google.rpc.Status</c>'s details; null when there is
    /// none, or it has no delay. A delay outside <c>Duration</c>'s range, or with seconds and nanoseconds of
    /// opposite signs, is malformed. Negative delays become zero.
    /// </summary>
    public static TimeSpan? ReadRetryDelay(ReadOnlySpan<byte> status)
    {
        var reader = new ProtoReader(status);
        while (reader.TryReadTag(out int field, out int wireType))
        {
            if (field != StatusDetails || wireType != ProtoWriter.LengthDelimited)
            {
                reader.Skip(wireType);
                continue;
            }

            string typeUrl = string.Empty;
            ReadOnlySpan<byte> value = default;
            var anyReader = new ProtoReader(reader.ReadLengthDelimited());
            while (anyReader.TryReadTag(out int anyField, out int anyWireType))
            {
                if (anyField == AnyTypeUrl && anyWireType == ProtoWriter.LengthDelimited)
                {
                    typeUrl = anyReader.ReadString();
                }
                else if (anyField == AnyValue && anyWireType == ProtoWriter.LengthDelimited)
                {
                    value = anyReader.ReadLengthDelimited();
                }
                else
                {
                    anyReader.Skip(anyWireType);
                }
            }

            if (typeUrl == RetryInfoTypeUrl)
            {
                return ReadRetryInfo(value);
            }
        }

        return null;
    }

    private static TimeSpan? ReadRetryInfo(ReadOnlySpan<byte> retryInfo)
    {
        bool present = false;
        long seconds = 0;
        int nanos = 0;
        var reader = new ProtoReader(retryInfo);
        while (reader.TryReadTag(out int field, out int wireType))
        {
            if (field != RetryInfoRetryDelay || wireType != ProtoWriter.LengthDelimited)
            {
                reader.Skip(wireType);
                continue;
            }

            present = true;
            MergeDuration(reader.ReadLengthDelimited(), ref seconds, ref nanos);
        }

        if (!present)
        {
            return null;
        }

        if (seconds is < -MaxDurationSeconds or > MaxDurationSeconds || nanos is <= -1_000_000_000 or >= 1_000_000_000
            || (seconds < 0 && nanos > 0) || (seconds > 0 && nanos < 0))
        {
            throw new InvalidDataException($"RetryInfo's delay ({seconds} s, {nanos} ns) is not a valid duration.");
        }

        // The range check keeps this within TimeSpan: 315,576,000,000 s is about 3.2e18 ticks.
        var delay = TimeSpan.FromTicks((seconds * TimeSpan.TicksPerSecond) + (nanos / 100));
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    private static void MergePartialSuccess(ReadOnlySpan<byte> partialSuccess, ref long rejected, ref string errorMessage)
    {
        var reader = new ProtoReader(partialSuccess);
        while (reader.TryReadTag(out int field, out int wireType))
        {
            if (field == PartialSuccessRejectedProfiles && wireType == ProtoWriter.Varint)
            {
                rejected = (long)reader.ReadVarint();
            }
            else if (field == PartialSuccessErrorMessage && wireType == ProtoWriter.LengthDelimited)
            {
                errorMessage = reader.ReadString();
            }
            else
            {
                reader.Skip(wireType);
            }
        }
    }

    private static void MergeDuration(ReadOnlySpan<byte> duration, ref long seconds, ref int nanos)
    {
        var reader = new ProtoReader(duration);
        while (reader.TryReadTag(out int field, out int wireType))
        {
            if (field == DurationSeconds && wireType == ProtoWriter.Varint)
            {
                seconds = (long)reader.ReadVarint();
            }
            else if (field == DurationNanos && wireType == ProtoWriter.Varint)
            {
                nanos = (int)reader.ReadVarint();
            }
            else
            {
                reader.Skip(wireType);
            }
        }
    }
}
