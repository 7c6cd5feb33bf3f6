namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Decoders for the runtime event payloads the profiler consumes. The runtime's EventPipe metadata for native
/// events carries no field names, so the layouts here follow ClrEtwAll.man and were checked against payload
/// sizes of a live .NET 10 stream. Versions select the trailing fields; a payload too short for its declared
/// version makes the decoder return false. Nothing here allocates: strings are spans into the payload.
/// </summary>
internal static class RuntimeEventDecoders
{
    /// <summary>MethodLoadVerbose/MethodUnloadVerbose (143/144) and rundown MethodDCStartVerbose/MethodDCEndVerbose (143/144).</summary>
    public static bool TryReadMethodLoad(in NetTraceEvent e, out MethodLoadData data) =>
        TryReadMethodLoad(e.Payload, e.Metadata.Version, out data);

    public static bool TryReadMethodLoad(ReadOnlySpan<byte> payload, int version, out MethodLoadData data)
    {
        var r = new PayloadReader(payload, 8);
        ulong methodId = r.ReadUInt64();
        ulong moduleId = r.ReadUInt64();
        ulong start = r.ReadUInt64();
        uint size = r.ReadUInt32();
        uint token = r.ReadUInt32();
        uint flags = r.ReadUInt32();
        ReadOnlySpan<char> ns = r.ReadUtf16String();
        ReadOnlySpan<char> name = r.ReadUtf16String();
        ReadOnlySpan<char> signature = r.ReadUtf16String();
        ushort clrInstanceId = version >= 1 ? r.ReadUInt16() : default;
        ulong reJitId = version >= 2 ? r.ReadUInt64() : default;
        data = new MethodLoadData
        {
            MethodId = methodId,
            ModuleId = moduleId,
            MethodStartAddress = start,
            MethodSize = size,
            MethodToken = token,
            MethodFlags = flags,
            MethodNamespace = ns,
            MethodName = name,
            MethodSignature = signature,
            ClrInstanceId = clrInstanceId,
            ReJitId = reJitId,
        };
        return r.Ok;
    }

    /// <summary>R2RGetEntryPoint (159).</summary>
    public static bool TryReadR2REntryPoint(in NetTraceEvent e, out R2REntryPointData data) =>
        TryReadR2REntryPoint(e.Payload, out data);

    public static bool TryReadR2REntryPoint(ReadOnlySpan<byte> payload, out R2REntryPointData data)
    {
        var r = new PayloadReader(payload, 8);
        ulong methodId = r.ReadUInt64();
        ReadOnlySpan<char> ns = r.ReadUtf16String();
        ReadOnlySpan<char> name = r.ReadUtf16String();
        ReadOnlySpan<char> signature = r.ReadUtf16String();
        ulong entryPoint = r.ReadUInt64();
        ushort clrInstanceId = r.ReadUInt16();
        data = new R2REntryPointData
        {
            MethodId = methodId,
            MethodNamespace = ns,
            MethodName = name,
            MethodSignature = signature,
            EntryPoint = entryPoint,
            ClrInstanceId = clrInstanceId,
        };
        return r.Ok;
    }

    /// <summary>ModuleLoad/ModuleUnload (152/153) and rundown ModuleDCStart/ModuleDCEnd (153/154).</summary>
    public static bool TryReadModuleLoad(in NetTraceEvent e, out ModuleLoadData data) =>
        TryReadModuleLoad(e.Payload, e.Metadata.Version, out data);

    public static bool TryReadModuleLoad(ReadOnlySpan<byte> payload, int version, out ModuleLoadData data)
    {
        var r = new PayloadReader(payload, 8);
        ulong moduleId = r.ReadUInt64();
        ulong assemblyId = r.ReadUInt64();
        uint flags = r.ReadUInt32();
        _ = r.ReadUInt32(); // Reserved1
        ReadOnlySpan<char> ilPath = r.ReadUtf16String();
        ReadOnlySpan<char> nativePath = r.ReadUtf16String();
        ushort clrInstanceId = version >= 1 ? r.ReadUInt16() : default;
        Guid pdbSignature = default;
        uint pdbAge = 0;
        ReadOnlySpan<char> pdbPath = default;
        if (version >= 2)
        {
            pdbSignature = r.ReadGuid();
            pdbAge = r.ReadUInt32();
            pdbPath = r.ReadUtf16String();

            // NativePdbSignature, NativePdbAge, NativePdbBuildPath follow; unused.
        }

        data = new ModuleLoadData
        {
            ModuleId = moduleId,
            AssemblyId = assemblyId,
            ModuleFlags = flags,
            ModuleILPath = ilPath,
            ModuleNativePath = nativePath,
            ClrInstanceId = clrInstanceId,
            ManagedPdbSignature = pdbSignature,
            ManagedPdbAge = pdbAge,
            ManagedPdbBuildPath = pdbPath,
        };
        return r.Ok;
    }

    /// <summary>GCAllocationTick (10), versions 0-4.</summary>
    public static bool TryReadAllocationTick(in NetTraceEvent e, out AllocationTickData data) =>
        TryReadAllocationTick(e.Payload, e.Metadata.Version, e.PointerSize, out data);

    public static bool TryReadAllocationTick(ReadOnlySpan<byte> payload, int version, int pointerSize, out AllocationTickData data)
    {
        var r = new PayloadReader(payload, pointerSize);
        uint amount = r.ReadUInt32();
        uint kind = r.ReadUInt32();
        ushort clrInstanceId = version >= 1 ? r.ReadUInt16() : default;
        ulong amount64 = amount;
        ulong typeId = 0;
        ReadOnlySpan<char> typeName = default;
        uint heapIndex = 0;
        if (version >= 2)
        {
            amount64 = r.ReadUInt64();
            typeId = r.ReadPointer();
            typeName = r.ReadUtf16String();
            heapIndex = r.ReadUInt32();
        }

        ulong address = version >= 3 ? r.ReadPointer() : default;
        ulong objectSize = version >= 4 ? r.ReadUInt64() : default;
        data = new AllocationTickData
        {
            AllocationAmount = amount,
            AllocationKind = kind,
            ClrInstanceId = clrInstanceId,
            AllocationAmount64 = amount64,
            TypeId = typeId,
            TypeName = typeName,
            HeapIndex = heapIndex,
            Address = address,
            ObjectSize = objectSize,
        };
        return r.Ok;
    }

    /// <summary>ContentionStart (81): flags and instance id, then from version 2 LockID, AssociatedObjectID (pointers), LockOwnerThreadID.</summary>
    public static bool TryReadContentionStart(in NetTraceEvent e, out ContentionStartData data) =>
        TryReadContentionStart(e.Payload, e.Metadata.Version, e.PointerSize, out data);

    public static bool TryReadContentionStart(ReadOnlySpan<byte> payload, int version, int pointerSize, out ContentionStartData data)
    {
        var r = new PayloadReader(payload, pointerSize);
        byte flags = r.ReadUInt8();
        ushort clrInstanceId = version >= 1 ? r.ReadUInt16() : default;
        ulong lockId = 0;
        ulong objectId = 0;
        ulong owner = 0;
        if (version >= 2)
        {
            lockId = r.ReadPointer();
            objectId = r.ReadPointer();
            owner = r.ReadUInt64();
        }

        data = new ContentionStartData
        {
            ContentionFlags = flags,
            ClrInstanceId = clrInstanceId,
            LockId = lockId,
            AssociatedObjectId = objectId,
            LockOwnerThreadId = owner,
        };
        return r.Ok;
    }

    /// <summary>ContentionStop (91): flags, instance id, and from version 1 DurationNs (double).</summary>
    public static bool TryReadContentionStop(in NetTraceEvent e, out ContentionStopData data) =>
        TryReadContentionStop(e.Payload, e.Metadata.Version, out data);

    public static bool TryReadContentionStop(ReadOnlySpan<byte> payload, int version, out ContentionStopData data)
    {
        var r = new PayloadReader(payload, 8);
        byte flags = r.ReadUInt8();
        ushort clrInstanceId = version >= 0 && r.Remaining >= 2 ? r.ReadUInt16() : default;
        double duration = version >= 1 ? r.ReadDouble() : double.NaN;
        data = new ContentionStopData { ContentionFlags = flags, ClrInstanceId = clrInstanceId, DurationNs = duration };
        return r.Ok;
    }

    /// <summary>ExceptionThrown (80), version 1 (the only one the runtime emits on EventPipe).</summary>
    public static bool TryReadExceptionThrown(in NetTraceEvent e, out ExceptionThrownData data) =>
        TryReadExceptionThrown(e.Payload, e.PointerSize, out data);

    public static bool TryReadExceptionThrown(ReadOnlySpan<byte> payload, int pointerSize, out ExceptionThrownData data)
    {
        var r = new PayloadReader(payload, pointerSize);
        ReadOnlySpan<char> type = r.ReadUtf16String();
        ReadOnlySpan<char> message = r.ReadUtf16String();
        ulong eip = r.ReadPointer();
        uint hresult = r.ReadUInt32();
        ushort flags = r.ReadUInt16();
        ushort clrInstanceId = r.ReadUInt16();
        data = new ExceptionThrownData
        {
            ExceptionType = type,
            ExceptionMessage = message,
            ExceptionEip = eip,
            ExceptionHResult = hresult,
            ExceptionFlags = flags,
            ClrInstanceId = clrInstanceId,
        };
        return r.Ok;
    }

    /// <summary>SampleProfiler ThreadSample (0): a single 32-bit state.</summary>
    public static ThreadSampleState ReadThreadSampleState(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, 8);
        uint state = r.ReadUInt32();
        return r.Ok ? (ThreadSampleState)state : ThreadSampleState.Error;
    }
}
