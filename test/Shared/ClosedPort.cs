using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OpenTelemetry.Profiling.Testing;

/// <summary>
/// Loopback ports that nothing listens on and that the kernel never hands out by itself, for tests of a missing
/// collector and the overhead harness's blocks with the collector down. A port taken from a listener on port 0 comes
/// from the ephemeral range: once that listener is closed, the kernel may give the same port to another test's
/// receiver bound to port 0, or to an outgoing connection (the exporter's own retries included, which can then connect
/// to themselves), and a test that binds the port later to bring its collector "back up" fails with "address already
/// in use". Ports below the ephemeral range are only ever taken by an explicit bind.
/// </summary>
internal static class ClosedPort
{
    private const int Lowest = 10_000;

    // Each test process starts at its own place, so parallel test processes rarely try the same ports.
    private static int next = Random.Shared.Next(0, 1 << 20);

    /// <summary>A port below the ephemeral range that could be bound on 127.0.0.1 a moment ago.</summary>
    public static int Next()
    {
        int span = EphemeralLow() - Lowest;
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            int port = Lowest + (int)((uint)Interlocked.Increment(ref next) % (uint)span);
            if (CanBind(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Lowest} and {Lowest + span}.");
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // Linux lists the range in /proc; elsewhere the IANA range (49152 and up) is the usual one.
    private static int EphemeralLow()
    {
        const int Iana = 49_152;
        try
        {
            string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return range.Length == 2 && int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out int low) && low > Lowest + 1000 ? low : Iana;
        }
        catch (IOException)
        {
            return Iana;
        }
        catch (UnauthorizedAccessException)
        {
            return Iana;
        }
    }
}
