using OpenTelemetry.Profiling.Correlation;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Model;
using OpenTelemetry.Profiling.Symbols;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Benchmarks;

/// <summary>
/// End of an interval with a large profile: 20,000 distinct stacks (the default per-interval limit) of 20-40
/// frames over 3,000 methods, 16 threads, 256 spans. <see cref="Build"/> resolves and interns it into a
/// profile batch; <see cref="BuildEncode"/> also writes it as the OTLP request, as the exporter does, which is
/// all the CPU an export costs before the network; <see cref="BuildConvertSerialize"/> goes through the
/// generated messages instead (the exporter's way before OtlpRequestEncoding, kept for comparison). The
/// serialized size is printed at set-up, so MB/s = size / mean time.
/// </summary>
[MemoryDiagnoser]
public class ProfileBuildBenchmarks
{
    private static readonly Func<ProfileBatch, IMessage> ToRequest = CreateConverter();
    private static readonly Func<ProfileBatch, byte[]> Encode = CreateEncoder();

    private readonly MethodMap methods = new();
    private readonly Resource resource = ResourceBuilder.CreateDefault().AddService("benchmark").Build();
    private ProfileAssembler assembler = null!;
    private SampleAggregator aggregator = null!;

    [GlobalSetup]
    public void Setup()
    {
        var synthetic = new SyntheticStacks(distinctStacks: 20_000, methodCount: 3000);
        this.methods.AddModule(1, "/app/RateLimiterSync.dll");
        for (int m = 0; m < synthetic.MethodCount; m++)
        {
            this.methods.AddMethod(SyntheticStacks.CodeBase + ((ulong)m * SyntheticStacks.MethodSize), SyntheticStacks.MethodSize, $"RateLimiterSync.Component{m % 97}", $"Method{m}(class System.String,int32)", 1);
        }

        var spans = SyntheticStacks.CreateSpans(256);
        var random = new Random(11);
        this.aggregator = new SampleAggregator(20_000);
        for (int s = 0; s < synthetic.Stacks.Length; s++)
        {
            this.aggregator.Add(1000 + random.Next(16), synthetic.Stacks[s], random.Next(3) == 0 ? SpanKey.From(spans[random.Next(spans.Length)]) : default, 1 + random.Next(5));
        }

        this.assembler = new ProfileAssembler(this.methods, id => "worker-" + id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        int bytes = this.BuildEncode();
        Console.WriteLine($"// serialized profile: {bytes:N0} bytes, {this.aggregator.Values.Count:N0} aggregated samples, {this.aggregator.Stacks.Count:N0} stacks");
    }

    [Benchmark]
    public int Build() => this.BuildBatch().SampleCount;

    [Benchmark]
    public int BuildEncode() => Encode(this.BuildBatch()).Length;

    [Benchmark]
    public int BuildConvertSerialize() => ToRequest(this.BuildBatch()).ToByteArray().Length;

    private ProfileBatch BuildBatch() =>
        this.assembler.Build([new ProfileInput(ProfileType.Cpu, this.aggregator, 1_000_000)], DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(10), this.resource, out _);

    // The converter is internal to the exporter, which does not grant this assembly access; its request type
    // is a protobuf message, so binding it as Func<ProfileBatch, IMessage> is enough.
    private static Func<ProfileBatch, IMessage> CreateConverter()
    {
        var type = typeof(OpenTelemetry.Profiling.Exporter.OtlpProfileExporterOptions).Assembly.GetType("OpenTelemetry.Profiling.Exporter.OtlpProfileConverter", throwOnError: true)!;
        var method = type.GetMethod("ToRequest", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(ProfileBatch)])!;
        return method.CreateDelegate<Func<ProfileBatch, IMessage>>();
    }

    // The exporter's encoder, internal too: sized, then written (one reflective call each, nothing per sample).
    private static Func<ProfileBatch, byte[]> CreateEncoder()
    {
        var type = typeof(OpenTelemetry.Profiling.Exporter.OtlpProfileExporterOptions).Assembly.GetType("OpenTelemetry.Profiling.Exporter.OtlpRequestEncoding", throwOnError: true)!;
        var measure = type.GetMethod("Measure", BindingFlags.Public | BindingFlags.Static, [typeof(ProfileBatch)])!;
        var toArray = type.GetMethod("ToArray", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)!;
        return batch => (byte[])toArray.Invoke(measure.Invoke(null, [batch]), null)!;
    }
}
