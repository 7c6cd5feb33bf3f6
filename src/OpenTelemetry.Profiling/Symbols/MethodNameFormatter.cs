using System.Text;

namespace OpenTelemetry.Profiling.Symbols;

/// <summary>
/// Turns the runtime's method events (type name, method name) into the names the OpenTelemetry eBPF
/// profiler uses for .NET frames: <c>Namespace.Type.Method</c> with nested types joined by <c>/</c>.
/// Generic instantiations (<c>Dictionary`2[System.__Canon,...]</c>) are dropped so that the shared code of
/// a generic type aggregates under one name.
/// </summary>
internal static class MethodNameFormatter
{
    public static string Format(string? typeName, string? methodName)
    {
        methodName = string.IsNullOrEmpty(methodName) ? "?" : StripGenericArguments(methodName);
        if (string.IsNullOrEmpty(typeName))
        {
            return methodName;
        }

        return string.Concat(StripGenericArguments(typeName).Replace('+', '/'), ".", methodName);
    }

    /// <summary>Gets the module's file name (<c>System.Private.CoreLib.dll</c>) from its path.</summary>
    public static string ModuleFileName(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return string.Empty;
        }

        int slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        return slash >= 0 ? path[(slash + 1)..] : path;
    }

    private static string StripGenericArguments(string name)
    {
        int open = name.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
        {
            return name;
        }

        var builder = new StringBuilder(name.Length);
        int depth = 0;
        foreach (char c in name)
        {
            if (c == '[')
            {
                depth++;
            }
            else if (c == ']')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
