using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>Self-signed certificates made on the spot, and their PEM files in a temporary folder.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("otlp-tls-").FullName;

    public TestCertificates()
    {
        this.Server = Create("CN=127.0.0.1", server: true);
        this.OtherCa = Create("CN=Some Other CA", server: true);
        this.Client = Create("CN=profiler-client", server: false);
        this.ServerPem = this.WriteCertificate("server.pem", this.Server);
        this.OtherCaPem = this.WriteCertificate("other-ca.pem", this.OtherCa);
        this.ClientPem = this.WriteCertificate("client.pem", this.Client);
        this.ClientKeyPem = this.Write("client.key", this.Client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        this.OtherKeyPem = this.Write("other.key", this.OtherCa.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        this.GarbagePem = this.Write("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        this.MissingPath = Path.Combine(this.folder, "missing.pem");
    }

    /// <summary>Gets the server's certificate: self-signed for 127.0.0.1 and localhost, so it is its own CA.</summary>
    public X509Certificate2 Server { get; }

    public X509Certificate2 OtherCa { get; }

    public X509Certificate2 Client { get; }

    public string ServerPem { get; }

    public string OtherCaPem { get; }

    public string ClientPem { get; }

    public string ClientKeyPem { get; }

    public string OtherKeyPem { get; }

    public string GarbagePem { get; }

    public string MissingPath { get; }

    public void Dispose()
    {
        this.Server.Dispose();
        this.OtherCa.Dispose();
        this.Client.Dispose();
        Directory.Delete(this.folder, recursive: true);
    }

    private static X509Certificate2 Create(string subject, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([Oid.FromOidValue(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2", OidGroup.EnhancedKeyUsage)], critical: false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // A persisted key: Kestrel and SslStream want one they can find again.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    private string WriteCertificate(string name, X509Certificate2 certificate) => this.Write(name, certificate.ExportCertificatePem());

    private string Write(string name, string content)
    {
        string path = Path.Combine(this.folder, name);
        File.WriteAllText(path, content);
        return path;
    }
}
