namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Raised when the EventPipe byte stream does not follow the nettrace layout. A dedicated type lets the
/// session owner tell a corrupt or unsupported stream (stop profiling, report once) apart from I/O failures.
/// </summary>
internal sealed class NetTraceFormatException : Exception
{
    public NetTraceFormatException()
    {
    }

    public NetTraceFormatException(string message)
        : base(message)
    {
    }

    public NetTraceFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
