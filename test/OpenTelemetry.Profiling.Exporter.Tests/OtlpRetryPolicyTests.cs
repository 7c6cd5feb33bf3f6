using OpenTelemetry.Profiling.Exporter.Delivery;
using OpenTelemetry.Profiling.Exporter.Grpc;

namespace OpenTelemetry.Profiling.Exporter.Tests;

[TestClass]
public sealed class OtlpRetryPolicyTests
{
    [TestMethod]
    [DataRow((int)GrpcStatusCode.Cancelled, true)]
    [DataRow((int)GrpcStatusCode.DeadlineExceeded, true)]
    [DataRow((int)GrpcStatusCode.Aborted, true)]
    [DataRow((int)GrpcStatusCode.OutOfRange, true)]
    [DataRow((int)GrpcStatusCode.Unavailable, true)]
    [DataRow((int)GrpcStatusCode.DataLoss, true)]
    [DataRow((int)GrpcStatusCode.ResourceExhausted, false)]
    [DataRow((int)GrpcStatusCode.Unknown, false)]
    [DataRow((int)GrpcStatusCode.InvalidArgument, false)]
    [DataRow((int)GrpcStatusCode.NotFound, false)]
    [DataRow((int)GrpcStatusCode.AlreadyExists, false)]
    [DataRow((int)GrpcStatusCode.PermissionDenied, false)]
    [DataRow((int)GrpcStatusCode.FailedPrecondition, false)]
    [DataRow((int)GrpcStatusCode.Unimplemented, false)]
    [DataRow((int)GrpcStatusCode.Internal, false)]
    [DataRow((int)GrpcStatusCode.Unauthenticated, false)]
    public void IsRetryable_FollowsTheOtlpSpecification(int status, bool retryable)
    {
        var code = (GrpcStatusCode)status;
        Assert.AreEqual(retryable, OtlpRetryPolicy.IsRetryable(OtlpExportResult.Failure(code, "x")));
    }

    [TestMethod]
    public void IsRetryable_ForResourceExhausted_OnlyWithRetryInfo()
    {
        Assert.IsFalse(OtlpRetryPolicy.IsRetryable(OtlpExportResult.Failure(GrpcStatusCode.ResourceExhausted, "x")));
        Assert.IsTrue(OtlpRetryPolicy.IsRetryable(OtlpExportResult.Failure(GrpcStatusCode.ResourceExhausted, "x", TimeSpan.FromSeconds(1))));
    }

    [TestMethod]
    [DataRow(429, true)]
    [DataRow(502, true)]
    [DataRow(503, true)]
    [DataRow(504, true)]
    [DataRow(400, false)]
    [DataRow(401, false)]
    [DataRow(403, false)]
    [DataRow(404, false)]
    [DataRow(413, false)]
    [DataRow(500, false)]
    public void IsRetryable_ForHttpStatuses_RetriesOnlyThrottlingAndGatewayErrors(int httpStatus, bool retryable)
    {
        var result = OtlpExportResult.Failure(OtlpExportResult.FromHttpStatus(httpStatus), "x");

        Assert.AreEqual(retryable, OtlpRetryPolicy.IsRetryable(result));
    }

    [TestMethod]
    public void Backoff_GrowsByTheMultiplierUpToTheCap()
    {
        var policy = OtlpRetryPolicy.Default;

        var ceilings = Enumerable.Range(1, 6).Select(retry => policy.Backoff(retry, random: 1).TotalMilliseconds).ToArray();
        var floors = Enumerable.Range(1, 6).Select(retry => policy.Backoff(retry, random: 0).TotalMilliseconds).ToArray();

        CollectionAssert.AreEqual(new[] { 1000d, 1500, 2250, 3375, 5000, 5000 }, ceilings);
        CollectionAssert.AreEqual(new[] { 500d, 750, 1125, 1687.5, 2500, 2500 }, floors);
    }

    [TestMethod]
    public void NextDelay_PrefersTheServersAdviceButCapsIt()
    {
        var policy = OtlpRetryPolicy.Default;

        var advised = policy.NextDelay(OtlpExportResult.Failure(GrpcStatusCode.Unavailable, "x", TimeSpan.FromSeconds(7)), 1, 0.3);
        var absurd = policy.NextDelay(OtlpExportResult.Failure(GrpcStatusCode.Unavailable, "x", TimeSpan.FromDays(1)), 1, 0.3);

        Assert.AreEqual(TimeSpan.FromSeconds(7), advised);
        Assert.AreEqual(TimeSpan.FromSeconds(30), absurd);
    }
}
