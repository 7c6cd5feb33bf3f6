namespace OpenTelemetry.Profiling.Symbols;

/// <summary>A method's readable name (<c>Namespace.Type.Method</c>, nested types joined with <c>/</c>) and its module file name.</summary>
internal sealed class MethodSymbol(string name, string moduleName)
{
    public string Name { get; } = name;

    public string ModuleName { get; } = moduleName;

    public override string ToString() => this.Name;
}
