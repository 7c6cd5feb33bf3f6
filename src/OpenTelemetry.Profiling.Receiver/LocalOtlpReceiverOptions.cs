using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace OpenTelemetry.Profiling.Receiver;

/// <summary>How a <see cref="LocalOtlpReceiver"/> listens.</summary>
public sealed class LocalOtlpReceiverOptions
{
    /// <summary>Gets or sets the gRPC port; 0 (the default) picks a free one.</summary>
    public int GrpcPort { get; set; }

    /// <summary>Gets or sets the OTLP/HTTP port; 0 (the default) picks a free one.</summary>
    public int HttpPort { get; set; }

    /// <summary>
    /// Gets or sets the certificate, with its private key, both listeners present over TLS; <see langword="null"/>
    /// (the default) listens without TLS.
    /// </summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>
    /// Gets or sets a check of client certificates; when set, clients must present a certificate it accepts
    /// (mutual TLS). Ignored without <see cref="ServerCertificate"/>. Default <see langword="null"/>.
    /// </summary>
    public Func<X509Certificate2, bool>? ClientCertificateValidator { get; set; }

    internal void ConfigureTls(ListenOptions listen)
    {
        if (this.ServerCertificate is not { } certificate)
        {
            return;
        }

        var validator = this.ClientCertificateValidator;
        listen.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            if (validator is not null)
            {
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;

                // Self-signed client certificates have no chain the system trusts: the validator decides.
                https.ClientCertificateValidation = (clientCertificate, _, _) => validator(clientCertificate);
            }
        });
    }
}
