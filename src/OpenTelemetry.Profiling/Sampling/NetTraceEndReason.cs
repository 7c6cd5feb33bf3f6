namespace OpenTelemetry.Profiling.Sampling;

/// <summary>Why <see cref="NetTraceReader.Run"/> returned; none of these is an error.</summary>
internal enum NetTraceEndReason
{
    /// <summary>The writer ended the stream with its end marker (a normally stopped session).</summary>
    EndOfTrace,

    /// <summary>The stream ended or was closed between two objects (pipe closed while the session stopped).</summary>
    StreamClosed,

    /// <summary>The caller's cancellation token was signalled.</summary>
    Cancelled,
}
