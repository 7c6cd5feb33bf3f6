using OpenTelemetry.Profiling.Symbols;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Feeds the <see cref="MethodMap"/> from the runtime's method and module events: methods compiled while we
/// run (JIT, tier-up), ReadyToRun methods whose entry point is looked up, and the rundown of everything that
/// existed when profiling started. Shared by the long-lived method session and the start-up rundown session.
/// </summary>
internal sealed class MethodEventHandler(MethodMap methods) : INetTraceEventHandler
{
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
            case KnownEventKind.MethodLoadVerbose:
            case KnownEventKind.RundownMethodDCStartVerbose:
            case KnownEventKind.RundownMethodDCEndVerbose:
                if (RuntimeEventDecoders.TryReadMethodLoad(e, out var method))
                {
                    methods.AddMethod(method.MethodStartAddress, method.MethodSize, method.MethodNamespace.ToString(), method.MethodName.ToString(), method.ModuleId);
                }

                break;
            case KnownEventKind.MethodUnloadVerbose:
                if (RuntimeEventDecoders.TryReadMethodLoad(e, out var unloaded))
                {
                    methods.RemoveMethod(unloaded.MethodStartAddress);
                }

                break;
            case KnownEventKind.R2RGetEntryPoint:
                if (RuntimeEventDecoders.TryReadR2REntryPoint(e, out var entry))
                {
                    methods.AddMethod(entry.EntryPoint, 0, entry.MethodNamespace.ToString(), entry.MethodName.ToString(), 0);
                }

                break;
            case KnownEventKind.ModuleLoad:
            case KnownEventKind.RundownModuleDCStart:
            case KnownEventKind.RundownModuleDCEnd:
                if (RuntimeEventDecoders.TryReadModuleLoad(e, out var module))
                {
                    var path = module.ModuleILPath.IsEmpty ? module.ModuleNativePath : module.ModuleILPath;
                    methods.AddModule(module.ModuleId, path.ToString());
                }

                break;
        }
    }
}
