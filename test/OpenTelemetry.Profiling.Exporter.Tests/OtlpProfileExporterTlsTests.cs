using OpenTelemetry.Profiling.Exporter.Configuration;
using OpenTelemetry.Profiling.Exporter.Grpc;
using OpenTelemetry.Profiling.Receiver;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>TLS against a real Kestrel receiver with certificates made in the test.</summary>
[TestClass]
public sealed class OtlpProfileExporterTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static TestCertificates certificates = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void CreateCertificates(TestContext context) => certificates = new TestCertificates();

    [ClassCleanup]
    public static void DeleteCertificates() => certificates.Dispose();

    [TestMethod]
    [DataRow(OtlpProfileExportProtocol.Grpc)]
    [DataRow(OtlpProfileExportProtocol.HttpProtobuf)]
    public async Task Export_OverTlsWithTheCustomCa_Succeeds(OtlpProfileExportProtocol protocol)
    {
        await using var receiver = await this.StartAsync(mutual: false);

        var result = await this.ExportOnceAsync(receiver, protocol, new OtlpProfileExporterOptions { CertificateFilePath = certificates.ServerPem });

        Assert.IsTrue(result.IsSuccess, result.Message);
        Assert.AreEqual(1, receiver.ProfileRequestCount);
    }

    [TestMethod]
    public async Task Export_OverTlsWithoutTheCustomCa_IsRefusedAsUntrusted()
    {
        await using var receiver = await this.StartAsync(mutual: false);

        var result = await this.ExportOnceAsync(receiver, OtlpProfileExportProtocol.Grpc, new OtlpProfileExporterOptions());

        Assert.AreEqual(GrpcStatusCode.Unavailable, result.StatusCode);
        Assert.AreEqual(0, receiver.ProfileRequestCount);
    }

    [TestMethod]
    public async Task Export_OverTlsWithAnotherCa_IsRefused()
    {
        await using var receiver = await this.StartAsync(mutual: false);

        var result = await this.ExportOnceAsync(receiver, OtlpProfileExportProtocol.HttpProtobuf, new OtlpProfileExporterOptions { CertificateFilePath = certificates.OtherCaPem });

        Assert.AreEqual(GrpcStatusCode.Unavailable, result.StatusCode, "only chains to the configured CA are trusted");
        Assert.AreEqual(0, receiver.ProfileRequestCount);
    }

    [TestMethod]
    [DataRow(OtlpProfileExportProtocol.Grpc)]
    [DataRow(OtlpProfileExportProtocol.HttpProtobuf)]
    public async Task Export_WithMutualTlsAndTheClientCertificate_Succeeds(OtlpProfileExportProtocol protocol)
    {
        await using var receiver = await this.StartAsync(mutual: true);

        var result = await this.ExportOnceAsync(receiver, protocol, new OtlpProfileExporterOptions
        {
            CertificateFilePath = certificates.ServerPem,
            ClientCertificateFilePath = certificates.ClientPem,
            ClientKeyFilePath = certificates.ClientKeyPem,
        });

        Assert.IsTrue(result.IsSuccess, result.Message);
        Assert.AreEqual(1, receiver.ProfileRequestCount);
    }

    [TestMethod]
    public async Task Export_WithMutualTlsButNoClientCertificate_IsRefused()
    {
        await using var receiver = await this.StartAsync(mutual: true);

        var result = await this.ExportOnceAsync(receiver, OtlpProfileExportProtocol.Grpc, new OtlpProfileExporterOptions { CertificateFilePath = certificates.ServerPem });

        Assert.IsFalse(result.IsSuccess);
        Assert.AreEqual(0, receiver.ProfileRequestCount);
    }

    [TestMethod]
    public void Options_WhenTheCertificateFileIsMissingOrMalformed_ThrowNamingTheSetting()
    {
        var options = new OtlpProfileExporterOptions();

        var missing = Assert.ThrowsExactly<ArgumentException>(() => options.CertificateFilePath = certificates.MissingPath);
        var garbage = Assert.ThrowsExactly<ArgumentException>(() => options.CertificateFilePath = certificates.GarbagePem);
        var clientMissing = Assert.ThrowsExactly<ArgumentException>(() => options.ClientKeyFilePath = certificates.MissingPath);

        Assert.AreEqual(nameof(OtlpProfileExporterOptions.CertificateFilePath), missing.ParamName);
        Assert.AreEqual(nameof(OtlpProfileExporterOptions.CertificateFilePath), garbage.ParamName);
        Assert.AreEqual(nameof(OtlpProfileExporterOptions.ClientKeyFilePath), clientMissing.ParamName);
    }

    [TestMethod]
    public void Resolve_WhenTheClientKeyDoesNotMatchTheCertificateSetInCode_Throws()
    {
        var options = new OtlpProfileExporterOptions { ClientCertificateFilePath = certificates.ClientPem, ClientKeyFilePath = certificates.OtherKeyPem };

        var ex = Assert.ThrowsExactly<ArgumentException>(() => OtlpProfileExporterSettings.Resolve(options, _ => null));

        Assert.AreEqual(nameof(OtlpProfileExporterOptions.ClientCertificateFilePath), ex.ParamName);
    }

    [TestMethod]
    public void Resolve_WithOnlyTheCertificateOfTheClientPairInCode_Throws()
    {
        var options = new OtlpProfileExporterOptions { ClientCertificateFilePath = certificates.ClientPem };

        Assert.ThrowsExactly<ArgumentException>(() => OtlpProfileExporterSettings.Resolve(options, _ => null));
    }

    internal static TestCertificates Certificates => certificates;

    private Task<LocalOtlpReceiver> StartAsync(bool mutual) => LocalOtlpReceiver.StartAsync(
        new LocalOtlpReceiverOptions
        {
            ServerCertificate = certificates.Server,
            ClientCertificateValidator = mutual ? client => client.Thumbprint == certificates.Client.Thumbprint : null,
        },
        this.TestContext.CancellationToken);

    private async Task<OtlpExportResult> ExportOnceAsync(LocalOtlpReceiver receiver, OtlpProfileExportProtocol protocol, OtlpProfileExporterOptions options)
    {
        options.Protocol = protocol;
        options.Endpoint = protocol == OtlpProfileExportProtocol.Grpc
            ? receiver.GrpcEndpoint
            : OtlpProfileExporterSettings.AppendSignalPath(receiver.HttpEndpoint);
        options.TimeoutMilliseconds = (int)Timeout.TotalMilliseconds;
        var settings = OtlpProfileExporterSettings.Resolve(options, _ => null);
        using var transport = OtlpProfileExporter.CreateTransport(settings, handler: null);
        return await transport.ExportAsync(OtlpProfileConverter.ToRequest(TestBatches.CpuBatch()), this.TestContext.CancellationToken);
    }
}
