using System.Diagnostics;
using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Exporter.Tests;

/// <summary>Builds small, known profile batches.</summary>
internal static class TestBatches
{
    public static readonly ActivityTraceId TraceId = ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c");
    public static readonly ActivitySpanId SpanId = ActivitySpanId.CreateFromString("b7ad6b7169203331");

    /// <summary>
    /// One CPU profile: Main -> Work -> SyncLimits.Wait (5 samples, linked to the span) and Main -> Work (3 samples).
    /// </summary>
    public static ProfileBatch CpuBatch(Resource? resource = null)
    {
        var builder = new ProfileDictionaryBuilder();
        int frameType = builder.Attribute("profile.frame.type", AttributeValue.Of("dotnet"));
        int main = builder.Location(builder.Function("App.Program.Main", null, "App.dll"), 0, [frameType]);
        int work = builder.Location(builder.Function("App.Worker.Work", null, "App.dll"), 0x1234, [frameType]);
        int wait = builder.Location(builder.Function("App.SyncLimits.Wait", null, "App.dll"), 0, [frameType]);
        int deepStack = builder.Stack([wait, work, main]);
        int shallowStack = builder.Stack([work, main]);
        int threadId = builder.Attribute("thread.id", AttributeValue.Of(42L));
        int threadName = builder.Attribute("thread.name", AttributeValue.Of("worker"));
        int link = builder.Link(LinkRecord.FromIds(TraceId, SpanId));
        var profile = new Model.Profile(
            builder.ValueType("samples", "count"),
            builder.ValueType("cpu", "nanoseconds"),
            10_000_000,
            1_700_000_000_000_000_000,
            1_000_000_000,
            [
                new SampleRecord(deepStack, [threadId, threadName], link, 5),
                new SampleRecord(shallowStack, [threadId], 0, 3),
            ],
            []);
        resource ??= ResourceBuilder.CreateEmpty()
            .AddAttributes([new("service.name", "checkout"), new("process.pid", 1234L), new("host.arch.is64", true), new("ratio", 0.5)])
            .Build();
        return new ProfileBatch(builder.Build(), [profile], resource);
    }

    /// <summary>A small CPU batch whose profile starts at <see cref="BaseTimeUnixNano"/> + <paramref name="number"/>, to tell batches apart.</summary>
    public static ProfileBatch Numbered(int number)
    {
        var builder = new ProfileDictionaryBuilder();
        int location = builder.Location(builder.Function("App.Program.Main", null, "App.dll"));
        var profile = new Model.Profile(
            builder.ValueType("samples", "count"),
            builder.ValueType("cpu", "nanoseconds"),
            10_000_000,
            BaseTimeUnixNano + (ulong)number,
            1_000_000_000,
            [new SampleRecord(builder.Stack([location]), [], 0, number + 1)],
            []);
        return new ProfileBatch(builder.Build(), [profile], ResourceBuilder.CreateEmpty().AddAttributes([new("service.name", "numbered")]).Build());
    }

    /// <summary>Reads back the number given to <see cref="Numbered"/>.</summary>
    public static int NumberOf(Proto.Collector.Profiles.V1Development.ExportProfilesServiceRequest request) =>
        (int)(request.ResourceProfiles[0].ScopeProfiles[0].Profiles[0].TimeUnixNano - BaseTimeUnixNano);

    /// <summary>
    /// Two profiles with <paramref name="samplesPerProfile"/> samples each, every sample on its own stack of
    /// distinct functions with a thread attribute and, every third, a span link: a batch worth splitting.
    /// </summary>
    public static ProfileBatch Large(int samplesPerProfile)
    {
        var builder = new ProfileDictionaryBuilder();
        int frameType = builder.Attribute("profile.frame.type", AttributeValue.Of("dotnet"));
        int main = builder.Location(builder.Function("App.Program.Main", null, "App.dll"), 0, [frameType]);
        int link = builder.Link(LinkRecord.FromIds(TraceId, SpanId));
        var profiles = new List<Model.Profile>();
        foreach (string type in (string[])["cpu", "wall"])
        {
            var samples = new List<SampleRecord>();
            for (int i = 0; i < samplesPerProfile; i++)
            {
                int leaf = builder.Location(builder.Function($"App.Generated.Type{i % 97}.Method{i}", null, "App.dll"), (ulong)i, [frameType]);
                int thread = builder.Attribute("thread.id", AttributeValue.Of((long)(i % 13)));
                samples.Add(new SampleRecord(builder.Stack([leaf, main]), [thread], i % 3 == 0 ? link : 0, i + 1));
            }

            profiles.Add(new Model.Profile(
                builder.ValueType("samples", "count"),
                builder.ValueType(type, "nanoseconds"),
                10_000_000,
                BaseTimeUnixNano,
                1_000_000_000,
                samples,
                []));
        }

        return new ProfileBatch(builder.Build(), profiles, ResourceBuilder.CreateEmpty().AddAttributes([new("service.name", "large")]).Build());
    }

    public const ulong BaseTimeUnixNano = 1_700_000_000_000_000_000;
}
