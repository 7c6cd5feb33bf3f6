using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenTelemetry.Profiling.Exporter.Configuration;

/// <summary>
/// TLS customisation of the exporter's connections: the certificates a server's chain must end in (none: the
/// system's roots) and a client certificate with its private key for mutual TLS (none: no client certificate).
/// </summary>
internal sealed record OtlpTlsSettings(X509Certificate2Collection? TrustedCertificates, X509Certificate2? ClientCertificate)
{
    public bool IsEmpty => this.TrustedCertificates is null && this.ClientCertificate is null;

    /// <summary>Reads every certificate of a PEM file. The error names what is wrong, never the file's content.</summary>
    public static bool TryLoadTrustedCertificates(string path, out X509Certificate2Collection? certificates, out string? error)
    {
        certificates = null;
        if (!File.Exists(path))
        {
            error = $"file '{path}' does not exist";
            return false;
        }

        try
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(path);
            if (collection.Count == 0)
            {
                error = $"file '{path}' holds no PEM certificate";
                return false;
            }

            certificates = collection;
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            error = $"file '{path}' could not be read as PEM certificates ({ex.GetType().Name})";
            return false;
        }
    }

    /// <summary>Reads a PEM certificate and the PEM private key that goes with it.</summary>
    public static bool TryLoadClientCertificate(string certificatePath, string keyPath, out X509Certificate2? certificate, out string? error)
    {
        certificate = null;
        foreach (string path in (string[])[certificatePath, keyPath])
        {
            if (!File.Exists(path))
            {
                error = $"file '{path}' does not exist";
                return false;
            }
        }

        try
        {
            using var ephemeral = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

            // A PEM key is ephemeral; SslStream on Windows needs a key it can find again, PKCS#12 gives it one.
            certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = $"'{certificatePath}' and '{keyPath}' are not a PEM certificate and its private key ({ex.GetType().Name})";
            return false;
        }
    }

    /// <summary>Checks that <paramref name="path"/> names an existing, readable file.</summary>
    public static bool FileExists(string? path, out string? error)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            error = "the path is empty";
            return false;
        }

        error = File.Exists(path) ? null : $"file '{path}' does not exist";
        return error is null;
    }
}
