using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;
using OpenTelemetry.Proto.Google.Rpc;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>
/// The exporter reads collectors' responses and writes the resource by hand; the generated messages are the
/// reference: what they write, the reader must read, and what they write, the encoder must write too.
/// </summary>
[TestClass]
public sealed class OtlpResponseReaderTests
{
    [TestMethod]
    public void ReadExportResponse_ReadsThePartialSuccessTheGeneratedMessageWrites()
    {
        var response = new ExportProfilesServiceResponse
        {
            PartialSuccess = new ExportProfilesPartialSuccess { RejectedProfiles = 1L << 40, ErrorMessage = "trop vieux, 古い" },
        };

        var result = OtlpResponseReader.ReadExportResponse(response.ToByteArray());

        Assert.AreEqual(GrpcStatusCode.Ok, result.StatusCode);
        Assert.IsTrue(result.IsPartialSuccess);
        Assert.AreEqual(1L << 40, result.RejectedProfiles);
        Assert.AreEqual("trop vieux, 古い", result.PartialSuccessMessage);
    }

    [TestMethod]
    public void ReadExportResponse_WithoutAPartialSuccess_IsAFullSuccess()
    {
        var empty = OtlpResponseReader.ReadExportResponse([]);
        var zero = OtlpResponseReader.ReadExportResponse(new ExportProfilesServiceResponse { PartialSuccess = new() }.ToByteArray());

        Assert.IsTrue(empty.IsSuccess);
        Assert.IsFalse(empty.IsPartialSuccess);
        Assert.IsTrue(zero.IsSuccess);
        Assert.IsFalse(zero.IsPartialSuccess, "an empty partial_success means everything was accepted");
    }

    [TestMethod]
    public void ReadExportResponse_SkipsFieldsItDoesNotKnow_OfEveryWireType()
    {
        // A newer collector may add fields, inside partial_success and beside it.
        byte[] partial = Concat(UnknownFields(), new ExportProfilesPartialSuccess { RejectedProfiles = 3, ErrorMessage = "late" }.ToByteArray(), UnknownFields());
        byte[] message = Concat(UnknownFields(), [0x0A, (byte)partial.Length], partial, UnknownFields());

        var result = OtlpResponseReader.ReadExportResponse(message);

        Assert.AreEqual(3, result.RejectedProfiles);
        Assert.AreEqual("late", result.PartialSuccessMessage);
    }

    [TestMethod]
    [DataRow(new byte[] { 0x0A, 0x05, 0x08 }, DisplayName = "partial_success longer than the message")]
    [DataRow(new byte[] { 0x0A, 0x01, 0x08 }, DisplayName = "a varint cut off")]
    [DataRow(new byte[] { 0x0B }, DisplayName = "a group (wire type 3)")]
    [DataRow(new byte[] { 0x00, 0x01 }, DisplayName = "field number 0")]
    [DataRow(new byte[] { 0x49, 0x01, 0x02 }, DisplayName = "a fixed64 cut off")]
    [DataRow(new byte[] { 0x0A, 0x02, 0x12, 0x01 }, DisplayName = "a string cut off")]
    [DataRow(new byte[] { 0x0A, 0x03, 0x12, 0x01, 0xFF }, DisplayName = "a string that is not UTF-8")]
    [DataRow(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, DisplayName = "a varint of 11 bytes")]
    public void ReadExportResponse_WhenMalformed_ThrowsInvalidData(byte[] message) =>
        Assert.ThrowsExactly<InvalidDataException>(() => OtlpResponseReader.ReadExportResponse(message));

    [TestMethod]
    public void ReadRetryDelay_ReadsTheFirstRetryInfoAmongTheDetails()
    {
        var status = new Status { Code = 8, Message = "slow down" };
        status.Details.Add(Any.Pack(new Status { Message = "not retry info" }));
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1_500.5)) }));
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(9)) }));

        Assert.AreEqual(TimeSpan.FromMilliseconds(1_500.5), OtlpResponseReader.ReadRetryDelay(status.ToByteArray()));
    }

    [TestMethod]
    public void ReadRetryDelay_WithoutRetryInfoOrItsDelay_IsNull()
    {
        var none = new Status { Code = 14 };
        none.Details.Add(Any.Pack(new Status { Message = "other" }));
        var noDelay = new Status { Code = 14 };
        noDelay.Details.Add(Any.Pack(new RetryInfo()));

        Assert.IsNull(OtlpResponseReader.ReadRetryDelay(none.ToByteArray()));
        Assert.IsNull(OtlpResponseReader.ReadRetryDelay(noDelay.ToByteArray()));
        Assert.IsNull(OtlpResponseReader.ReadRetryDelay([]));
    }

    [TestMethod]
    public void ReadRetryDelay_ANegativeDelay_IsZero()
    {
        var status = new Status();
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = new Duration { Seconds = -5, Nanos = -1 } }));

        Assert.AreEqual(TimeSpan.Zero, OtlpResponseReader.ReadRetryDelay(status.ToByteArray()));
    }

    [TestMethod]
    [DataRow(5L, -1, DisplayName = "signs differ")]
    [DataRow(0L, 1_000_000_000, DisplayName = "nanos of a whole second")]
    [DataRow(315_576_000_001L, 0, DisplayName = "beyond 10,000 years")]
    public void ReadRetryDelay_AnInvalidDuration_ThrowsInvalidData(long seconds, int nanos)
    {
        var status = new Status();
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = new Duration { Seconds = seconds, Nanos = nanos } }));

        Assert.ThrowsExactly<InvalidDataException>(() => OtlpResponseReader.ReadRetryDelay(status.ToByteArray()));
    }

    [TestMethod]
    public void GrpcRetryDelay_FromTheStatusDetailsHeader_ReadsUnpaddedBase64_AndTakesUnreadableAdviceAsNone()
    {
        var status = new Status { Code = 8 };
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)) }));
        string unpadded = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');

        Assert.AreEqual(TimeSpan.FromSeconds(2), GrpcTransport.ReadRetryDelay(Headers(unpadded)));
        Assert.IsNull(GrpcTransport.ReadRetryDelay(Headers("not base64 at all!")));
        Assert.IsNull(GrpcTransport.ReadRetryDelay(Headers(Convert.ToBase64String([0x1A, 0x05, 0x0A]))), "a detail longer than the status");
        Assert.IsNull(GrpcTransport.ReadRetryDelay(new HttpResponseMessage().Headers));
    }

    [TestMethod]
    public void EncodeResource_WritesTheBytesTheGeneratedMessageWrites_ForEveryValueKind()
    {
        var resource = ResourceBuilder.CreateEmpty().AddAttributes(
        [
            new("service.name", "kinds"),
            new("empty", string.Empty),
            new("text", "grüße 世界"),
            new("yes", true),
            new("no", false),
            new("zero", 0L),
            new("negative", -7L),
            new("int", 42),
            new("double", -1.25e-300),
            new("doubleZero", 0.0),
            new("strings", new[] { "a", string.Empty, "c" }),
            new("longs", new long[] { long.MinValue, 0, long.MaxValue }),
            new("doubles", new[] { 1.5, double.NaN }),
            new("bools", new[] { true, false }),
        ]).Build();

        CollectionAssert.AreEqual(OtlpProfileConverter.ToResource(resource).ToByteArray(), OtlpResourceEncoding.Encode(resource));
    }

    [TestMethod]
    public void EncodeResource_WithoutAServiceName_WritesTheSpecsFallbackAsTheGeneratedMessageDoes()
    {
        var resource = ResourceBuilder.CreateEmpty().AddAttributes([new("host.name", "h")]).Build();

        byte[] written = OtlpResourceEncoding.Encode(resource);

        CollectionAssert.AreEqual(OtlpProfileConverter.ToResource(resource).ToByteArray(), written);
        var parsed = OpenTelemetry.Proto.Resource.V1.Resource.Parser.ParseFrom(written);
        Assert.AreEqual("service.name", parsed.Attributes[^1].Key);
        Assert.StartsWith("unknown_service:", parsed.Attributes[^1].Value.StringValue);
    }

    private static System.Net.Http.Headers.HttpResponseHeaders Headers(string statusDetails)
    {
        var headers = new HttpResponseMessage().Headers;
        headers.TryAddWithoutValidation(GrpcFrame.StatusDetailsHeader, statusDetails);
        return headers;
    }

    // A varint field 9, a fixed32 field 10, a fixed64 field 11 and a length-delimited field 12.
    private static byte[] UnknownFields() =>
        [0x48, 0x96, 0x01, 0x55, 1, 2, 3, 4, 0x59, 1, 2, 3, 4, 5, 6, 7, 8, 0x62, 0x02, 0xAA, 0xBB];

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(part => part).ToArray();
}
