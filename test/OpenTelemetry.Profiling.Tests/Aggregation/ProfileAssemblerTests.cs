using OpenTelemetry.Profiling.Aggregation;
using OpenTelemetry.Profiling.Correlation;
using OpenTelemetry.Profiling.Symbols;
using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Tests.Aggregation;

[TestClass]
public sealed class ProfileAssemblerTests
{
    private static readonly Resource Resource = ResourceBuilder.CreateEmpty().AddService("test").Build();

    [TestMethod]
    public void Build_ResolvesFramesAndMergesSamplesThatResolveToTheSameStack()
    {
        var methods = new MethodMap();
        methods.AddModule(1, "/app/App.dll");
        methods.AddMethod(0x1000, 0x100, "App.Work+Inner", "Spin", 1);
        methods.AddMethod(0x2000, 0x100, "App.Work", "Main", 1);
        var samples = new SampleAggregator(100);

        // Two raw stacks that differ only in the leaf's offset inside Spin: one function-level stack.
        samples.Add(5, [0x1010, 0x2050], default, 1);
        samples.Add(5, [0x1020, 0x2050], default, 2);
        var assembler = new ProfileAssembler(methods, _ => "worker");

        var batch = assembler.Build([new ProfileInput(ProfileType.Cpu, samples, 1_000_000)], DateTimeOffset.UnixEpoch.AddSeconds(10), TimeSpan.FromSeconds(1), Resource, out var stats);

        var profile = batch.Profiles.Single();
        var sample = profile.Samples.Single();
        Assert.AreEqual(3, sample.Value);
        var names = batch.Dictionary.Stacks[sample.StackIndex].LocationIndices
            .Select(l => batch.Dictionary.Strings[batch.Dictionary.Functions[batch.Dictionary.Locations[l].FunctionIndex].NameStrIndex])
            .ToArray();
        CollectionAssert.AreEqual(new[] { "App.Work/Inner.Spin", "App.Work.Main" }, names);
        Assert.AreEqual("App.dll", batch.Dictionary.Strings[batch.Dictionary.Functions[1].FileNameStrIndex]);
        Assert.AreEqual(1.0, stats.NamedShare);
        Assert.AreEqual(10_000_000_000UL, profile.TimeUnixNano);
        Assert.AreEqual(1_000_000_000UL, profile.DurationNano);
        Assert.AreEqual("cpu", batch.Dictionary.Strings[profile.PeriodType.TypeStrIndex]);
        Assert.AreEqual("nanoseconds", batch.Dictionary.Strings[profile.PeriodType.UnitStrIndex]);
        Assert.AreEqual("samples", batch.Dictionary.Strings[profile.SampleType.TypeStrIndex]);
        Assert.AreEqual("count", batch.Dictionary.Strings[profile.SampleType.UnitStrIndex]);
        var attributes = sample.AttributeIndices.Select(i => batch.Dictionary.Attributes[i]).ToDictionary(a => batch.Dictionary.Strings[a.KeyStrIndex], a => a.Value.ToString());
        Assert.AreEqual("5", attributes["thread.id"]);
        Assert.AreEqual("worker", attributes["thread.name"]);
    }

    [TestMethod]
    public void Build_NamesTheFramesOfNativeOnlyCpu_ByWhatTheThreadDoes()
    {
        var samples = new SampleAggregator(10);
        samples.Add(1, [OpenTelemetry.Profiling.Sampling.NativeThreadFrames.Jit], default, 3);
        samples.Add(2, [OpenTelemetry.Profiling.Sampling.NativeThreadFrames.Gc], default, 2);
        samples.Add(3, [OpenTelemetry.Profiling.Sampling.NativeThreadFrames.Other], default, 1);

        var batch = new ProfileAssembler(new MethodMap(), _ => null).Build([new ProfileInput(ProfileType.Cpu, samples, 1, FramePointerStacks: true)], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), Resource, out var stats);

        var d = batch.Dictionary;
        var byName = batch.Profiles.Single().Samples.ToDictionary(s => d.Strings[d.Functions[d.Locations[d.Stacks[s.StackIndex].LocationIndices.Single()].FunctionIndex].NameStrIndex], s => s.Value);
        Assert.AreEqual(3, byName["[native: JIT compiler]"]);
        Assert.AreEqual(2, byName["[native: garbage collector]"]);
        Assert.AreEqual(1, byName["[native: runtime and other native code]"]);
        Assert.AreEqual(1.0, stats.NamedShare, "named frames, not unknown ones");
    }

    [TestMethod]
    public void Build_WhenACallerReturnAddressIsOnePastItsMethod_StillNamesTheCaller()
    {
        var methods = new MethodMap();
        methods.AddMethod(0x1000, 0x10, "App", "Leaf", 0);
        methods.AddMethod(0x2000, 0x10, "App", "Caller", 0);
        var samples = new SampleAggregator(10);
        samples.Add(1, [0x1000, 0x2010], default, 1);

        var batch = new ProfileAssembler(methods, _ => null).Build([new ProfileInput(ProfileType.Cpu, samples, 1)], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), Resource, out var stats);

        Assert.AreEqual(1.0, stats.NamedShare);
        var caller = batch.Dictionary.Locations[batch.Dictionary.Stacks[batch.Profiles[0].Samples[0].StackIndex].LocationIndices[1]];
        Assert.AreEqual("App.Caller", batch.Dictionary.Strings[batch.Dictionary.Functions[caller.FunctionIndex].NameStrIndex]);
    }

    [TestMethod]
    public void Build_WhenAnAddressIsUnknown_NamesItUnknownAndCountsIt()
    {
        var methods = new MethodMap();
        methods.AddMethod(0x1000, 0x10, "App", "Known", 0);
        var samples = new SampleAggregator(10);
        samples.Add(1, [0x9999, 0x1004], default, 1);

        var batch = new ProfileAssembler(methods, _ => null).Build([new ProfileInput(ProfileType.Cpu, samples, 1)], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), Resource, out var stats);

        Assert.AreEqual(0.5, stats.NamedShare);
        Assert.IsTrue(batch.Dictionary.Strings.Contains(ProfileAssembler.UnknownFrameName));
        foreach (var location in batch.Dictionary.Locations.Skip(1))
        {
            var attribute = batch.Dictionary.Attributes[location.AttributeIndices.Single()];
            Assert.AreEqual("profile.frame.type", batch.Dictionary.Strings[attribute.KeyStrIndex]);
            Assert.AreEqual("dotnet", attribute.Value.StringValue);
        }
    }

    [TestMethod]
    public void Build_WhenTheLeafIsTheGcPollTheSamplerStoppedAt_AttributesTheSampleToThePollingMethod()
    {
        var methods = new MethodMap();
        methods.AddMethod(0x1000, 0x10, "System.Threading.Thread", "<PollGC>g__PollGCWorker|67_0", 0);
        methods.AddMethod(0x2000, 0x10, "App", "Busy", 0);
        var samples = new SampleAggregator(10);
        samples.Add(1, [0x1004, 0x2004], default, 1);

        var batch = new ProfileAssembler(methods, _ => null).Build([new ProfileInput(ProfileType.Cpu, samples, 1)], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), Resource, out _);

        var stack = batch.Dictionary.Stacks[batch.Profiles[0].Samples[0].StackIndex].LocationIndices;
        Assert.AreEqual(1, stack.Length);
        Assert.AreEqual("App.Busy", batch.Dictionary.Strings[batch.Dictionary.Functions[batch.Dictionary.Locations[stack[0]].FunctionIndex].NameStrIndex]);
    }
}
