namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Receives the content of a nettrace stream in stream order. Calls come from the reader thread; arguments
/// passed by reference are views into reader-owned buffers and must not be retained past the call.
/// </summary>
internal interface INetTraceEventHandler
{
    /// <summary>Called once, before any event, with the clock and process facts of the session.</summary>
    void OnTraceStart(in NetTraceHeader header);

    /// <summary>Called for every event of an EventBlock, in stream order (not sorted by timestamp).</summary>
    void OnEvent(in NetTraceEvent e);

    /// <summary>
    /// Called at each sequence point: every event before it is older than <paramref name="timestampQpc"/>, every
    /// event after it newer; the stack cache has just been cleared.
    /// </summary>
    void OnSequencePoint(long timestampQpc);
}
