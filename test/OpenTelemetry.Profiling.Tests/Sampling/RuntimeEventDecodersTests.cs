using OpenTelemetry.Profiling.Sampling;
using static OpenTelemetry.Profiling.Tests.Sampling.NetTraceTestWriter;

namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>Payloads are built field by field in ClrEtwAll.man order, so each test pins one template layout.</summary>
[TestClass]
public sealed class RuntimeEventDecodersTests
{
    private static byte[] Build(Action<BinaryWriter> write)
    {
        var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        write(w);
        w.Flush();
        return ms.ToArray();
    }

    private static byte[] MethodLoadPayload(bool withClrInstance, bool withReJit) => Build(w =>
    {
        w.Write(0x1111UL);
        w.Write(0x2222UL);
        w.Write(0x7F00_0000_1000UL);
        w.Write(0x80u);
        w.Write(0x0600_0001u);
        w.Write(0x8u);
        WriteUtf16(w, "My.Namespace.Type");
        WriteUtf16(w, "Method");
        WriteUtf16(w, "void  (int32)");
        if (withClrInstance)
        {
            w.Write((ushort)7);
        }

        if (withReJit)
        {
            w.Write(3UL);
        }
    });

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    public void TryReadMethodLoad_WhenPayloadMatchesVersion_DecodesAllFields(int version)
    {
        byte[] payload = MethodLoadPayload(version >= 1, version >= 2);

        Assert.IsTrue(RuntimeEventDecoders.TryReadMethodLoad(payload, version, out MethodLoadData data));

        Assert.AreEqual(0x1111UL, data.MethodId);
        Assert.AreEqual(0x2222UL, data.ModuleId);
        Assert.AreEqual(0x7F00_0000_1000UL, data.MethodStartAddress);
        Assert.AreEqual(0x80u, data.MethodSize);
        Assert.AreEqual(0x0600_0001u, data.MethodToken);
        Assert.AreEqual(0x8u, data.MethodFlags);
        Assert.AreEqual("My.Namespace.Type", data.MethodNamespace.ToString());
        Assert.AreEqual("Method", data.MethodName.ToString());
        Assert.AreEqual("void  (int32)", data.MethodSignature.ToString());
        Assert.AreEqual(version >= 1 ? (ushort)7 : (ushort)0, data.ClrInstanceId);
        Assert.AreEqual(version >= 2 ? 3UL : 0UL, data.ReJitId);
    }

    [TestMethod]
    public void TryReadMethodLoad_WhenPayloadIsShorterThanVersion_ReturnsFalse()
    {
        byte[] payload = MethodLoadPayload(withClrInstance: true, withReJit: false);

        Assert.IsFalse(RuntimeEventDecoders.TryReadMethodLoad(payload, 2, out _));
        Assert.IsFalse(RuntimeEventDecoders.TryReadMethodLoad(payload.AsSpan(0, 30), 0, out _));
    }

    [TestMethod]
    public void TryReadR2REntryPoint_WhenPayloadIsValid_DecodesEntryPointAfterStrings()
    {
        byte[] payload = Build(w =>
        {
            w.Write(0xABCUL);
            WriteUtf16(w, "System.Threading.ExecutionContext");
            WriteUtf16(w, "RunInternal");
            WriteUtf16(w, "void  (class ExecutionContext)");
            w.Write(0x7F12_3456_7000UL);
            w.Write((ushort)1);
        });

        Assert.IsTrue(RuntimeEventDecoders.TryReadR2REntryPoint(payload, out R2REntryPointData data));

        Assert.AreEqual(0xABCUL, data.MethodId);
        Assert.AreEqual("System.Threading.ExecutionContext", data.MethodNamespace.ToString());
        Assert.AreEqual("RunInternal", data.MethodName.ToString());
        Assert.AreEqual("void  (class ExecutionContext)", data.MethodSignature.ToString());
        Assert.AreEqual(0x7F12_3456_7000UL, data.EntryPoint);
        Assert.AreEqual((ushort)1, data.ClrInstanceId);
    }

    [TestMethod]
    public void TryReadModuleLoad_WhenVersion2_DecodesPathsAndPdbIdentity()
    {
        var pdb = Guid.NewGuid();
        byte[] payload = Build(w =>
        {
            w.Write(0x10UL);
            w.Write(0x20UL);
            w.Write(0x8u);
            w.Write(0u);
            WriteUtf16(w, "/app/My.dll");
            WriteUtf16(w, string.Empty);
            w.Write((ushort)0);
            w.Write(pdb.ToByteArray());
            w.Write(1u);
            WriteUtf16(w, "/src/My.pdb");
            w.Write(Guid.Empty.ToByteArray());
            w.Write(0u);
            WriteUtf16(w, string.Empty);
        });

        Assert.IsTrue(RuntimeEventDecoders.TryReadModuleLoad(payload, 2, out ModuleLoadData data));

        Assert.AreEqual(0x10UL, data.ModuleId);
        Assert.AreEqual(0x20UL, data.AssemblyId);
        Assert.AreEqual(0x8u, data.ModuleFlags);
        Assert.AreEqual("/app/My.dll", data.ModuleILPath.ToString());
        Assert.AreEqual(0, data.ModuleNativePath.Length);
        Assert.AreEqual(pdb, data.ManagedPdbSignature);
        Assert.AreEqual(1u, data.ManagedPdbAge);
        Assert.AreEqual("/src/My.pdb", data.ManagedPdbBuildPath.ToString());
    }

    [TestMethod]
    [DataRow(8)]
    [DataRow(4)]
    public void TryReadAllocationTick_WhenVersion4_DecodesPointerSizedFieldsAndObjectSize(int pointerSize)
    {
        byte[] payload = Build(w =>
        {
            w.Write(100_000u);
            w.Write(1u);
            w.Write((ushort)0);
            w.Write(100_000UL);
            WritePointer(w, pointerSize, 0x5000);
            WriteUtf16(w, "System.Byte[]");
            w.Write(2u);
            WritePointer(w, pointerSize, 0x6000);
            w.Write(85_024UL);
        });

        Assert.IsTrue(RuntimeEventDecoders.TryReadAllocationTick(payload, 4, pointerSize, out AllocationTickData data));

        Assert.AreEqual(100_000u, data.AllocationAmount);
        Assert.AreEqual(1u, data.AllocationKind);
        Assert.AreEqual(100_000UL, data.AllocationAmount64);
        Assert.AreEqual(0x5000UL, data.TypeId);
        Assert.AreEqual("System.Byte[]", data.TypeName.ToString());
        Assert.AreEqual(2u, data.HeapIndex);
        Assert.AreEqual(0x6000UL, data.Address);
        Assert.AreEqual(85_024UL, data.ObjectSize);
    }

    [TestMethod]
    public void TryReadContention_WhenStartV2AndStopV1_DecodesLockAndDuration()
    {
        byte[] start = Build(w =>
        {
            w.Write((byte)0);
            w.Write((ushort)0);
            w.Write(0xAAUL);
            w.Write(0xBBUL);
            w.Write(1234UL);
        });
        byte[] stop = Build(w =>
        {
            w.Write((byte)0);
            w.Write((ushort)0);
            w.Write(1500.5);
        });

        Assert.IsTrue(RuntimeEventDecoders.TryReadContentionStart(start, 2, 8, out ContentionStartData s));
        Assert.IsTrue(RuntimeEventDecoders.TryReadContentionStop(stop, 1, out ContentionStopData e));

        Assert.AreEqual(0xAAUL, s.LockId);
        Assert.AreEqual(0xBBUL, s.AssociatedObjectId);
        Assert.AreEqual(1234UL, s.LockOwnerThreadId);
        Assert.AreEqual(1500.5, e.DurationNs);
    }

    [TestMethod]
    public void TryReadExceptionThrown_WhenVersion1_DecodesTypeMessageAndHResult()
    {
        byte[] payload = Build(w =>
        {
            WriteUtf16(w, "System.InvalidOperationException");
            WriteUtf16(w, "boom");
            w.Write(0x7F00UL);
            w.Write(0x80131509u);
            w.Write((ushort)0x10);
            w.Write((ushort)0);
        });

        Assert.IsTrue(RuntimeEventDecoders.TryReadExceptionThrown(payload, 8, out ExceptionThrownData data));

        Assert.AreEqual("System.InvalidOperationException", data.ExceptionType.ToString());
        Assert.AreEqual("boom", data.ExceptionMessage.ToString());
        Assert.AreEqual(0x7F00UL, data.ExceptionEip);
        Assert.AreEqual(0x80131509u, data.ExceptionHResult);
        Assert.AreEqual((ushort)0x10, data.ExceptionFlags);
    }

    [TestMethod]
    public void ReadThreadSampleState_WhenPayloadIsFourBytes_ReturnsState()
    {
        Assert.AreEqual(ThreadSampleState.Managed, RuntimeEventDecoders.ReadThreadSampleState([2, 0, 0, 0]));
        Assert.AreEqual(ThreadSampleState.External, RuntimeEventDecoders.ReadThreadSampleState([1, 0, 0, 0]));
        Assert.AreEqual(ThreadSampleState.Error, RuntimeEventDecoders.ReadThreadSampleState([2]));
    }

    [TestMethod]
    [DataRow(RuntimeEvents.RuntimeProvider, 143, (int)KnownEventKind.MethodLoadVerbose)]
    [DataRow(RuntimeEvents.RuntimeProvider, 159, (int)KnownEventKind.R2RGetEntryPoint)]
    [DataRow(RuntimeEvents.RundownProvider, 144, (int)KnownEventKind.RundownMethodDCEndVerbose)]
    [DataRow(RuntimeEvents.RundownProvider, 154, (int)KnownEventKind.RundownModuleDCEnd)]
    [DataRow(RuntimeEvents.SampleProfilerProvider, 0, (int)KnownEventKind.ThreadSample)]
    [DataRow("Other", 143, (int)KnownEventKind.Unknown)]
    public void Classify_WhenProviderAndIdAreKnown_ReturnsKind(string provider, int eventId, int expected)
    {
        Assert.AreEqual((KnownEventKind)expected, RuntimeEvents.Classify(provider, eventId));
    }

    private static void WritePointer(BinaryWriter w, int pointerSize, ulong value)
    {
        if (pointerSize == 4)
        {
            w.Write((uint)value);
        }
        else
        {
            w.Write(value);
        }
    }
}
