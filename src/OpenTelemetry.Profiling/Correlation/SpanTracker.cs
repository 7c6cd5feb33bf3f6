using System.Collections.Concurrent;
using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// Tracks which span is current on every thread, with no change to application code.
/// <para>
/// <see cref="Activity.CurrentChanged"/> fires only when a span is set explicitly, not when an async
/// continuation resumes on another thread. So the current span is mirrored into an <see cref="AsyncLocal{T}"/>
/// whose value-changed callback runs on every execution-context switch, and each switch is written, with a
/// <see cref="Stopwatch"/> timestamp (the clock EventPipe stamps samples with), into a per-thread ring that the
/// consumer reads when the sample arrives. That costs a few tens of nanoseconds per switch on the app's
/// threads and needs no event in the EventPipe stream.
/// </para>
/// </summary>
internal static class SpanTracker
{
    private static readonly AsyncLocal<SpanKeyBox?> Mirror = new(OnValueChanged);
    private static readonly ConcurrentDictionary<int, ThreadSpanHistory> Histories = new();
    private static readonly Lock Gate = new();
    private static int users;
    private static volatile bool enabled;

    [ThreadStatic]
    private static ThreadSpanHistory? threadHistory;

    /// <summary>Starts tracking (reference counted: several profilers in one process share it).</summary>
    public static void Start()
    {
        lock (Gate)
        {
            if (users++ == 0)
            {
                Activity.CurrentChanged += OnActivityChanged;
                enabled = true;
            }
        }
    }

    public static void Stop()
    {
        lock (Gate)
        {
            if (users > 0 && --users == 0)
            {
                enabled = false;
                Activity.CurrentChanged -= OnActivityChanged;
            }
        }
    }

    /// <summary>
    /// Marks the calling flow as the profiler's own work until the returned scope is disposed.
    /// Samples and events whose thread is in such a flow are not profiled.
    /// </summary>
    public static ProfilerWorkScope EnterProfilerWork()
    {
        var previous = Mirror.Value;
        Mirror.Value = SpanKeyBox.ProfilerWork;
        return new ProfilerWorkScope(previous);
    }

    /// <summary>
    /// Gets the key of <paramref name="activity"/>: the one already read when it became current on this flow
    /// (span processors run right after), else read from the activity.
    /// </summary>
    public static SpanKey KeyOf(Activity activity) =>
        Mirror.Value is { } box && ReferenceEquals(box.Activity, activity) ? box.Key : SpanKey.From(activity);

    /// <summary>Finds the history of the thread with the given OS id, if it ever switched spans.</summary>
    public static bool TryGetHistory(int osThreadId, out ThreadSpanHistory? history) => Histories.TryGetValue(osThreadId, out history);

    /// <summary>
    /// Forgets threads that have ended and whose last switch is older than <paramref name="olderThanTimestamp"/>,
    /// so a process that creates threads for weeks keeps a bounded registry.
    /// </summary>
    public static int RemoveDeadThreads(long olderThanTimestamp)
    {
        int removed = 0;
        foreach (var pair in Histories)
        {
            var history = pair.Value;
            if (!history.Thread.IsAlive && history.LastTimestamp < olderThanTimestamp
                && Histories.TryRemove(new KeyValuePair<int, ThreadSpanHistory>(pair.Key, history)))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Gets the state (span, profiler work or null) current on each tracked thread at <paramref name="timestamp"/>.</summary>
    public static void StatesAt(long timestamp, List<SpanKey> states)
    {
        states.Clear();
        foreach (var history in Histories.Values)
        {
            if (history.TryGetStateAt(timestamp, out var state) == SpanLookupResult.Found && !state.IsNone && !state.IsProfilerWork)
            {
                states.Add(state);
            }
        }
    }

    private static void OnActivityChanged(object? sender, ActivityChangedEventArgs e)
    {
        // Inside the profiler's own work the marker wins over spans the exporter's HTTP client may start.
        if (!enabled)
        {
            return;
        }

        var current = Mirror.Value;
        if (!ReferenceEquals(current, SpanKeyBox.ProfilerWork))
        {
            var next = SpanKeyBox.For(e.Current, current);
            if (!ReferenceEquals(next, current))
            {
                Mirror.Value = next;
            }
        }
    }

    private static void OnValueChanged(AsyncLocalValueChangedArgs<SpanKeyBox?> args)
    {
        // Entering or leaving the profiler's own work is recorded even before tracking starts: exporter
        // threads created while the profiler is being built mark themselves before sampling begins.
        if (!enabled && !ReferenceEquals(args.CurrentValue, SpanKeyBox.ProfilerWork) && !ReferenceEquals(args.PreviousValue, SpanKeyBox.ProfilerWork))
        {
            return;
        }

        var history = threadHistory ?? CreateHistory();
        if (history is not null)
        {
            var key = args.CurrentValue is { } box ? box.Key : default;
            history.Record(Stopwatch.GetTimestamp(), key);
        }
    }

    private static ThreadSpanHistory? CreateHistory()
    {
        int osId = OsThread.CurrentId;
        if (osId == 0)
        {
            return null;
        }

        var history = new ThreadSpanHistory(osId, Thread.CurrentThread);

        // An OS id is reused after its thread ended: the new thread's history replaces the old one.
        Histories[osId] = history;
        threadHistory = history;
        return history;
    }

    /// <summary>Restores the state that was current before <see cref="EnterProfilerWork"/>.</summary>
    internal readonly struct ProfilerWorkScope(SpanKeyBox? previous) : IDisposable
    {
        public void Dispose() => Mirror.Value = previous;
    }
}
