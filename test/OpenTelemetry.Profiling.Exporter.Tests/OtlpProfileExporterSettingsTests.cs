using System.Diagnostics.Tracing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Profiling.Export;
using OpenTelemetry.Profiling.Exporter.Configuration;

namespace OpenTelemetry.Profiling.Exporter.Tests;

// The EventSource listener sees events from every thread, so these tests do not run beside others.
[TestClass]
[DoNotParallelize]
public sealed class OtlpProfileExporterSettingsTests
{
    [TestMethod]
    public void Resolve_WithNothingSet_UsesTheGrpcDefaults()
    {
        var settings = Resolve(new OtlpProfileExporterOptions(), []);

        Assert.AreEqual(OtlpProfileExportProtocol.Grpc, settings.Protocol);
        Assert.AreEqual(new Uri("http://localhost:4317"), settings.Endpoint);
        Assert.AreEqual(TimeSpan.FromSeconds(10), settings.Timeout);
        Assert.IsEmpty(settings.Headers);
    }

    [TestMethod]
    public void Resolve_WithOnlyGenericVariables_UsesThem()
    {
        var settings = Resolve(new OtlpProfileExporterOptions(), new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://generic:4317",
            ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "2500",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "api-key=generic",
        });

        Assert.AreEqual(new Uri("http://generic:4317"), settings.Endpoint);
        Assert.AreEqual(TimeSpan.FromMilliseconds(2500), settings.Timeout);
        Assert.AreEqual("generic", settings.Headers.Single().Value);
    }

    [TestMethod]
    public void Resolve_WithProfilesAndGenericVariables_PrefersTheProfilesOnes()
    {
        var settings = Resolve(new OtlpProfileExporterOptions(), AllVariables());

        Assert.AreEqual(OtlpProfileExportProtocol.Grpc, settings.Protocol);
        Assert.AreEqual(new Uri("http://profiles:4317"), settings.Endpoint);
        Assert.AreEqual(TimeSpan.FromMilliseconds(3000), settings.Timeout);
        Assert.AreEqual("profiles", settings.Headers.Single().Value);
    }

    [TestMethod]
    public void Resolve_WithValuesSetInCode_PrefersThemOverEveryVariable()
    {
        var options = new OtlpProfileExporterOptions
        {
            Endpoint = new Uri("https://code:4317"),
            Protocol = OtlpProfileExportProtocol.Grpc,
            TimeoutMilliseconds = 1234,
            Headers = "api-key=code,tenant=a%20b",
        };

        var settings = Resolve(options, AllVariables());

        Assert.AreEqual(new Uri("https://code:4317"), settings.Endpoint);
        Assert.AreEqual(TimeSpan.FromMilliseconds(1234), settings.Timeout);
        CollectionAssert.AreEqual(
            new KeyValuePair<string, string>[] { new("api-key", "code"), new("tenant", "a b") },
            settings.Headers.ToArray());
    }

    [TestMethod]
    public void Resolve_ForHttpProtobuf_AppendsTheSignalPathToTheGenericEndpointOnly()
    {
        var generic = Resolve(new OtlpProfileExporterOptions(), new()
        {
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318/",
        });
        var specific = Resolve(new OtlpProfileExporterOptions(), new()
        {
            ["OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT"] = "http://collector:4318/custom/path",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://ignored:4318",
        });
        var byDefault = Resolve(new OtlpProfileExporterOptions { Protocol = OtlpProfileExportProtocol.HttpProtobuf }, []);

        Assert.AreEqual(OtlpProfileExportProtocol.HttpProtobuf, generic.Protocol);
        Assert.AreEqual(new Uri("http://collector:4318/v1development/profiles"), generic.Endpoint);
        Assert.AreEqual(new Uri("http://collector:4318/custom/path"), specific.Endpoint);
        Assert.AreEqual(new Uri("http://localhost:4318/v1development/profiles"), byDefault.Endpoint);
    }

    [TestMethod]
    [DataRow("OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT", "not a url")]
    [DataRow("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector:21")]
    [DataRow("OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL", "http/json")]
    [DataRow("OTEL_EXPORTER_OTLP_TIMEOUT", "-5")]
    [DataRow("OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT", "ten")]
    [DataRow("OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign")]
    public void Resolve_WhenAVariableIsMalformed_KeepsTheDefaultAndReportsTheVariable(string name, string value)
    {
        using var listener = new ExporterEventListener();

        var settings = Resolve(new OtlpProfileExporterOptions(), new() { [name] = value });

        var defaults = Resolve(new OtlpProfileExporterOptions(), []);
        Assert.AreEqual((defaults.Protocol, defaults.Endpoint, defaults.Timeout), (settings.Protocol, settings.Endpoint, settings.Timeout));
        Assert.IsEmpty(settings.Headers);
        var reported = listener.Events.Where(e => e.EventId == 4).ToList();
        Assert.IsTrue(reported.Any(e => (string)e.Payload![0]! == name), "no diagnostic for " + name);
    }

    [TestMethod]
    public void Resolve_WhenHeadersAreMalformed_NeverLogsTheirValues()
    {
        using var listener = new ExporterEventListener();

        Resolve(new OtlpProfileExporterOptions(), new() { ["OTEL_EXPORTER_OTLP_HEADERS"] = "authorization=Bearer s3cr3t,broken" });

        var events = listener.Events.Where(e => e.EventId == 4).ToList();
        Assert.IsNotEmpty(events);
        Assert.IsFalse(events.SelectMany(e => e.Payload!).Any(p => p?.ToString()?.Contains("s3cr3t", StringComparison.Ordinal) == true));
    }

    [TestMethod]
    public void Options_WhenEndpointSetInCodeIsNotHttp_ThrowsNamingTheSetting()
    {
        var options = new OtlpProfileExporterOptions();

        var ex = Assert.ThrowsExactly<ArgumentException>(() => options.Endpoint = new Uri("ftp://collector"));

        Assert.AreEqual(nameof(OtlpProfileExporterOptions.Endpoint), ex.ParamName);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(-1)]
    public void Options_WhenTimeoutSetInCodeIsNotPositive_ThrowsNamingTheSetting(int timeout)
    {
        var options = new OtlpProfileExporterOptions();

        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.TimeoutMilliseconds = timeout);

        Assert.AreEqual(nameof(OtlpProfileExporterOptions.TimeoutMilliseconds), ex.ParamName);
    }

    [TestMethod]
    public void Options_WhenHeadersOrProtocolSetInCodeAreMalformed_ThrowNamingTheSetting()
    {
        var options = new OtlpProfileExporterOptions();

        var headers = Assert.ThrowsExactly<ArgumentException>(() => options.Headers = "=value");
        var protocol = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.Protocol = (OtlpProfileExportProtocol)7);

        Assert.AreEqual(nameof(OtlpProfileExporterOptions.Headers), headers.ParamName);
        Assert.AreEqual(nameof(OtlpProfileExporterOptions.Protocol), protocol.ParamName);
    }

    [TestMethod]
    public void AddOtlpExporter_ResolvesNamedOptionsAndConfigurationLazily()
    {
        var services = ServicesWithConfiguredTimeout("4321");
        new ProfilingBuilder(services)
            .AddOtlpExporter()
            .AddOtlpExporter("second", o => o.Endpoint = new Uri("http://second:4317"));

        using var provider = services.BuildServiceProvider();
        var exporters = provider.GetServices<ProfileExporterRegistration>().Select(r => (OtlpProfileExporter)r.Factory(provider)).ToList();

        Assert.HasCount(2, exporters);
        Assert.AreEqual(TimeSpan.FromMilliseconds(4321), exporters[0].Transport.Timeout);
        Assert.AreEqual(new Uri("http://localhost:4317/" + Grpc.GrpcTransport.ExportPath), exporters[0].Transport.RequestUri);
        Assert.AreEqual(new Uri("http://second:4317/" + Grpc.GrpcTransport.ExportPath), exporters[1].Transport.RequestUri);
        exporters.ForEach(e => e.Dispose());
    }

    [TestMethod]
    public void AddOtlpExporter_WithAConfigurationWithoutTheEnvironment_ReadsTheEnvironmentForKeysItLacks()
    {
        var services = ServicesWithConfiguredTimeout("4321");
        new ProfilingBuilder(services).AddOtlpExporter();
        using var provider = services.BuildServiceProvider();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT", "http://from-environment:4317");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT", "1234");
        try
        {
            using var exporter = (OtlpProfileExporter)provider.GetServices<ProfileExporterRegistration>().Single().Factory(provider);
            Assert.AreEqual(new Uri("http://from-environment:4317/" + Grpc.GrpcTransport.ExportPath), exporter.Transport.RequestUri, "a key the configuration lacks");
            Assert.AreEqual(TimeSpan.FromMilliseconds(4321), exporter.Transport.Timeout, "the configuration wins where it has the key");
        }
        finally
        {
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT", null);
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT", null);
        }
    }

    [TestMethod]
    public void Resolve_ForCompression_PrefersTheProfilesVariableAndCodeOverBoth()
    {
        var fromProfiles = Resolve(new OtlpProfileExporterOptions(), new() { ["OTEL_EXPORTER_OTLP_COMPRESSION"] = "none", ["OTEL_EXPORTER_OTLP_PROFILES_COMPRESSION"] = "gzip" });
        var fromGeneric = Resolve(new OtlpProfileExporterOptions(), new() { ["OTEL_EXPORTER_OTLP_COMPRESSION"] = " GZIP " });
        var fromCode = Resolve(new OtlpProfileExporterOptions { Compression = OtlpProfileExportCompression.None }, new() { ["OTEL_EXPORTER_OTLP_PROFILES_COMPRESSION"] = "gzip" });

        Assert.AreEqual(OtlpProfileExportCompression.Gzip, fromProfiles.Compression);
        Assert.AreEqual(OtlpProfileExportCompression.Gzip, fromGeneric.Compression);
        Assert.AreEqual(OtlpProfileExportCompression.None, fromCode.Compression);
        Assert.AreEqual(OtlpProfileExportCompression.None, Resolve(new OtlpProfileExporterOptions(), []).Compression);
    }

    [TestMethod]
    public void Resolve_WhenCompressionIsUnknown_ReportsTheVariableAndSendsUncompressed()
    {
        using var listener = new ExporterEventListener();

        var settings = Resolve(new OtlpProfileExporterOptions(), new() { ["OTEL_EXPORTER_OTLP_PROFILES_COMPRESSION"] = "brotli" });

        Assert.AreEqual(OtlpProfileExportCompression.None, settings.Compression);
        Assert.IsTrue(listener.Events.Any(e => e.EventId == 4 && (string)e.Payload![0]! == "OTEL_EXPORTER_OTLP_PROFILES_COMPRESSION"));
    }

    [TestMethod]
    public void Resolve_WithTlsVariables_LoadsTheCaAndTheClientPair()
    {
        using var certificates = new TestCertificates();

        var settings = Resolve(new OtlpProfileExporterOptions(), new()
        {
            ["OTEL_EXPORTER_OTLP_CERTIFICATE"] = certificates.OtherCaPem,
            ["OTEL_EXPORTER_OTLP_PROFILES_CERTIFICATE"] = certificates.ServerPem,
            ["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"] = certificates.ClientPem,
            ["OTEL_EXPORTER_OTLP_PROFILES_CLIENT_KEY"] = certificates.ClientKeyPem,
        });

        Assert.AreEqual(certificates.Server.Thumbprint, settings.Tls!.TrustedCertificates!.Single().Thumbprint);
        Assert.AreEqual(certificates.Client.Thumbprint, settings.Tls.ClientCertificate!.Thumbprint);
        Assert.IsTrue(settings.Tls.ClientCertificate.HasPrivateKey);
    }

    [TestMethod]
    [DataRow("OTEL_EXPORTER_OTLP_PROFILES_CERTIFICATE", "missing")]
    [DataRow("OTEL_EXPORTER_OTLP_CERTIFICATE", "garbage")]
    [DataRow("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "client-without-key")]
    [DataRow("OTEL_EXPORTER_OTLP_PROFILES_CLIENT_KEY", "key-without-client")]
    [DataRow("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "mismatched-key")]
    public void Resolve_WhenTlsVariablesAreMalformed_ReportsTheVariableAndAppliesNoTls(string name, string problem)
    {
        using var certificates = new TestCertificates();
        using var listener = new ExporterEventListener();
        var variables = problem switch
        {
            "missing" => new Dictionary<string, string> { [name] = certificates.MissingPath },
            "garbage" => new() { [name] = certificates.GarbagePem },
            "client-without-key" => new() { [name] = certificates.ClientPem },
            "key-without-client" => new() { [name] = certificates.ClientKeyPem },
            _ => new() { [name] = certificates.ClientPem, ["OTEL_EXPORTER_OTLP_CLIENT_KEY"] = certificates.OtherKeyPem },
        };

        var settings = Resolve(new OtlpProfileExporterOptions(), variables);

        Assert.IsNull(settings.Tls);
        Assert.IsTrue(listener.Events.Any(e => e.EventId == 4 && (string)e.Payload![0]! == name), "no diagnostic naming " + name);
    }

    [TestMethod]
    public void Options_ForQueueAndRequestBounds_HaveDocumentedDefaultsAndRejectBadValues()
    {
        var options = new OtlpProfileExporterOptions();
        var settings = Resolve(options, []);

        Assert.AreEqual((16, 32 * 1024 * 1024, 4 * 1024 * 1024), (settings.MaxQueuedBatches, settings.MaxQueuedBytes, settings.MaxRequestBytes));
        Assert.AreEqual(nameof(options.MaxQueuedBatches), Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.MaxQueuedBatches = 0).ParamName);
        Assert.AreEqual(nameof(options.MaxQueuedBytes), Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.MaxQueuedBytes = 0).ParamName);
        Assert.AreEqual(nameof(options.MaxRequestBytes), Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.MaxRequestBytes = 1024).ParamName);
        Assert.AreEqual(nameof(options.MaxRequestBytes), Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.MaxRequestBytes = (64 * 1024 * 1024) + 1).ParamName);
        Assert.AreEqual(nameof(options.Compression), Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.Compression = (OtlpProfileExportCompression)9).ParamName);
    }

    /// <summary>Services holding an <see cref="IConfiguration"/> built without the environment, with the profiles timeout set.</summary>
    private static ServiceCollection ServicesWithConfiguredTimeout(string milliseconds)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT"] = milliseconds })
            .Build());
        return services;
    }

    private static OtlpProfileExporterSettings Resolve(OtlpProfileExporterOptions options, Dictionary<string, string> variables) =>
        OtlpProfileExporterSettings.Resolve(options, name => variables.GetValueOrDefault(name));

    private static Dictionary<string, string> AllVariables() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://generic:4317",
        ["OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT"] = "http://profiles:4317",
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL"] = "grpc",
        ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "2000",
        ["OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT"] = "3000",
        ["OTEL_EXPORTER_OTLP_HEADERS"] = "api-key=generic",
        ["OTEL_EXPORTER_OTLP_PROFILES_HEADERS"] = "api-key=profiles",
    };
}
