using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Proto.Collector.Profiles.V1Development;

namespace OpenTelemetry.Profiling.Exporter.Tests;

[TestClass]
public sealed class GrpcFrameTests
{
    [TestMethod]
    public void CreateFrame_PrefixesTheMessageWithAZeroFlagAndItsBigEndianLength()
    {
        var request = OtlpProfileConverter.ToRequest(TestBatches.CpuBatch());
        int size = request.CalculateSize();

        byte[] frame = GrpcTransport.CreateFrame(request);

        Assert.HasCount(5 + size, frame);
        Assert.AreEqual(0, frame[0]);
        Assert.AreEqual(size, (frame[1] << 24) | (frame[2] << 16) | (frame[3] << 8) | frame[4]);
        Assert.AreEqual(request, ExportProfilesServiceRequest.Parser.ParseFrom(frame.AsSpan(5)));
    }

    [TestMethod]
    public void TryReadMessage_WithAWellFormedFrame_ReturnsTheMessageBytes()
    {
        byte[] frame = [0, 0, 0, 0, 3, 10, 20, 30];

        Assert.IsTrue(GrpcFrame.TryReadMessage(frame, out var message, out string? error));

        Assert.IsNull(error);
        CollectionAssert.AreEqual(new byte[] { 10, 20, 30 }, message.ToArray());
    }

    [TestMethod]
    [DataRow(new byte[] { 0, 0, 0 }, "too short")]
    [DataRow(new byte[] { 1, 0, 0, 0, 1, 7 }, "Compressed")]
    [DataRow(new byte[] { 0, 0, 0, 0, 5, 7 }, "declares 5 bytes")]
    [DataRow(new byte[] { 0, 0, 0, 0, 1, 7, 8 }, "declares 1 bytes")]
    public void TryReadMessage_WithAMalformedFrame_ExplainsWhy(byte[] frame, string expected)
    {
        Assert.IsFalse(GrpcFrame.TryReadMessage(frame, out _, out string? error));

        Assert.Contains(expected, error!);
    }

    [TestMethod]
    public void DecodeMessage_PercentDecodesUtf8AndKeepsInvalidEscapes()
    {
        Assert.AreEqual("overloaded: try later ✓ 100%", GrpcFrame.DecodeMessage("overloaded%3A try later %E2%9C%93 100%"));
        Assert.AreEqual("a b", GrpcFrame.DecodeMessage(GrpcFrame.EncodeMessage("a b")));
    }
}
