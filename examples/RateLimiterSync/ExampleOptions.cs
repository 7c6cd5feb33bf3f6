using System.Globalization;

namespace RateLimiterSync;

/// <summary>The command line of the example. Every option has a default, so a bare <c>dotnet run</c> works.</summary>
internal sealed class ExampleOptions
{
    public const string Usage = """
        Usage: RateLimiterSync [options]

          --duration <time>          How long to generate load: 30s, 20 (seconds), 1m, 500ms. Default 30s.
          --endpoint <uri>           OTLP gRPC endpoint for traces, metrics and profiles, e.g. http://localhost:4317.
                                     Without it (and without OTEL_EXPORTER_OTLP_ENDPOINT or
                                     OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT) an embedded receiver is started and
                                     summarized at the end.
          --keys <n>                 API keys (tenants) the limiter knows; the sync work grows with it. Default 1000.
          --peers <n>                Simulated peer nodes the limits are reconciled with. Default 3.
          --sync-interval <time>     How often SyncLimits runs. Default 200ms.
          --clients <n>              Concurrent load generator clients. Default 8.
          --rps <n>                  Target requests per second of all clients together; above 1000 per
                                     client, clients send back to back. Default 200.
          --profile-interval <time>  Profile export interval (1s to 10m). Default: the profiler's (one sampling
                                     cycle, 10s).
          --port <n>                 Port of the service on 127.0.0.1; 0 picks a free one. Default 0.
          --help                     Show this text.
        """;

    private static readonly HashSet<string> KnownOptions = new(StringComparer.Ordinal)
    {
        "--duration", "--endpoint", "--keys", "--peers", "--sync-interval", "--clients", "--rps", "--profile-interval", "--port",
    };

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(30);

    public Uri? Endpoint { get; private set; }

    public int KeyCount { get; private set; } = 1000;

    public int PeerCount { get; private set; } = 3;

    public TimeSpan SyncInterval { get; private set; } = TimeSpan.FromMilliseconds(200);

    public int Clients { get; private set; } = 8;

    public int RequestsPerSecond { get; private set; } = 200;

    /// <summary>Gets the profile export interval the user asked for; null for the profiler's default.</summary>
    public TimeSpan? ProfileExportInterval { get; private set; }

    public int Port { get; private set; }

    public bool ShowHelp { get; private set; }

    /// <summary>Parses the command line; throws <see cref="FormatException"/> with a readable message on bad input.</summary>
    public static ExampleOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ExampleOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h" or "-?")
            {
                options.ShowHelp = true;
                continue;
            }

            // Accept both "--name value" and "--name=value".
            string? value = null;
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }

            if (!KnownOptions.Contains(name))
            {
                throw new FormatException($"Unknown option {name}.");
            }

            if (value is null)
            {
                throw new FormatException($"Option {name} needs a value.");
            }

            switch (name)
            {
                case "--duration":
                    options.Duration = ParseTime(name, value, TimeSpan.FromSeconds(1));
                    break;
                case "--endpoint":
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
                    {
                        throw new FormatException($"--endpoint must be an absolute http or https URI, got '{value}'.");
                    }

                    options.Endpoint = endpoint;
                    break;
                case "--keys":
                    options.KeyCount = ParseInt(name, value, min: 20, max: 1_000_000);
                    break;
                case "--peers":
                    options.PeerCount = ParseInt(name, value, min: 0, max: 64);
                    break;
                case "--sync-interval":
                    options.SyncInterval = ParseTime(name, value, TimeSpan.FromMilliseconds(10));
                    break;
                case "--clients":
                    options.Clients = ParseInt(name, value, min: 1, max: 1024);
                    break;
                case "--rps":
                    options.RequestsPerSecond = ParseInt(name, value, min: 1, max: 1_000_000);
                    break;
                case "--profile-interval":
                    var interval = ParseTime(name, value, TimeSpan.FromSeconds(1));
                    options.ProfileExportInterval = interval;
                    if (interval > TimeSpan.FromMinutes(10))
                    {
                        throw new FormatException($"--profile-interval must be at most 10m, got '{value}'.");
                    }

                    break;
                case "--port":
                    options.Port = ParseInt(name, value, min: 0, max: 65535);
                    break;
                default:
                    throw new FormatException($"Unknown option {name}.");
            }
        }

        return options;
    }

    private static int ParseInt(string name, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result) || result < min || result > max)
        {
            throw new FormatException($"{name} must be a whole number from {min} to {max}, got '{value}'.");
        }

        return result;
    }

    // "30s", "20" (seconds), "1m", "500ms": what people type, rather than TimeSpan's "00:00:30".
    private static TimeSpan ParseTime(string name, string value, TimeSpan min)
    {
        string text = value.Trim();
        (string number, double unitSeconds) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') || text.EndsWith('S') => (text[..^1], 1.0),
            _ when text.EndsWith('m') || text.EndsWith('M') => (text[..^1], 60.0),
            _ => (text, 1.0),
        };

        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) || double.IsNaN(amount) || amount < 0)
        {
            throw new FormatException($"{name} must be a time like 30s, 20, 1m or 500ms, got '{value}'.");
        }

        var time = TimeSpan.FromSeconds(amount * unitSeconds);
        if (time < min)
        {
            throw new FormatException($"{name} must be at least {min.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms, got '{value}'.");
        }

        return time;
    }
}
