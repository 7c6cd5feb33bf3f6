using OpenTelemetry.Profiling.Aggregation;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Turns the runtime's allocation, lock contention and exception events, each with the stack of the thread
/// that raised it, into samples of their profile types.
/// <list type="bullet">
/// <item>Allocations: the runtime raises AllocationTick about every 100 KB a thread allocates, carrying the
/// bytes allocated since the previous tick and the type and size of the object that crossed the threshold.
/// Summing those bytes estimates the true total; bytes / object size estimates the objects they stand for.</item>
/// <item>Lock contention: ContentionStart carries the waiting thread's stack, ContentionStop (same thread) the
/// time waited; a sample is added at the stop, with the stack from the start.</item>
/// <item>Exceptions: one sample per ExceptionThrown, labelled with the exception's type; messages are not kept.</item>
/// </list>
/// </summary>
internal sealed class RuntimeEventSampleHandler(SampleCollector samples) : INetTraceEventHandler
{
    private const int MaxNames = 10_000;
    private const int MaxPendingContentions = 4096;

    private readonly Dictionary<string, string> names = new(StringComparer.Ordinal);
    private readonly Dictionary<int, PendingContention> pendingContentions = [];

    public void OnTraceStart(in NetTraceHeader header)
    {
    }

    public void OnSequencePoint(long timestampQpc)
    {
    }

    public void OnEvent(in NetTraceEvent e)
    {
        switch (e.Metadata.Kind)
        {
            case KnownEventKind.GCAllocationTick when RuntimeEventDecoders.TryReadAllocationTick(e, out var allocation):
                long bytes = (long)(allocation.AllocationAmount64 != 0 ? allocation.AllocationAmount64 : allocation.AllocationAmount);
                long objects = allocation.ObjectSize > 0 ? Math.Max(1, (long)Math.Round(bytes / (double)allocation.ObjectSize)) : 1;
                string type = this.Name(allocation.TypeName);
                samples.OnEvent(ProfileType.AllocatedBytes, (int)e.ThreadId, e.TimestampQpc, e.Stack, bytes, type);
                samples.OnEvent(ProfileType.AllocatedObjects, (int)e.ThreadId, e.TimestampQpc, e.Stack, objects, type);
                break;
            case KnownEventKind.ContentionStart:
                this.StartContention((int)e.ThreadId, e.TimestampQpc, e.Stack);
                break;
            case KnownEventKind.ContentionStop when RuntimeEventDecoders.TryReadContentionStop(e, out var stop):
                if (this.pendingContentions.Remove((int)e.ThreadId, out var pending))
                {
                    var stack = pending.Stack.AsSpan(0, pending.Length);
                    samples.OnEvent(ProfileType.LockContentions, (int)e.ThreadId, pending.Timestamp, stack, 1, null);
                    samples.OnEvent(ProfileType.LockDelay, (int)e.ThreadId, pending.Timestamp, stack, (long)stop.DurationNs, null);
                }

                break;
            case KnownEventKind.ExceptionThrown when RuntimeEventDecoders.TryReadExceptionThrown(e, out var exception):
                samples.OnEvent(ProfileType.Exceptions, (int)e.ThreadId, e.TimestampQpc, e.Stack, 1, this.Name(exception.ExceptionType));
                break;
        }
    }

    private void StartContention(int threadId, long timestamp, ReadOnlySpan<ulong> stack)
    {
        if (!this.pendingContentions.TryGetValue(threadId, out var pending))
        {
            if (this.pendingContentions.Count >= MaxPendingContentions)
            {
                // Starts whose stop never came (thread gone): forget them rather than grow.
                this.pendingContentions.Clear();
            }

            pending = new PendingContention(new ulong[Math.Max(stack.Length, 64)]);
        }
        else if (pending.Stack.Length < stack.Length)
        {
            pending = new PendingContention(new ulong[stack.Length]);
        }

        stack.CopyTo(pending.Stack);
        this.pendingContentions[threadId] = pending with { Length = stack.Length, Timestamp = timestamp };
    }

    /// <summary>Interns a type name so that repeated events allocate nothing; bounded.</summary>
    private string Name(ReadOnlySpan<char> name)
    {
        var lookup = this.names.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(name, out string? known))
        {
            return known;
        }

        if (this.names.Count >= MaxNames)
        {
            this.names.Clear();
        }

        string created = name.ToString();
        this.names.Add(created, created);
        return created;
    }

    private readonly record struct PendingContention(ulong[] Stack, int Length = 0, long Timestamp = 0);
}
