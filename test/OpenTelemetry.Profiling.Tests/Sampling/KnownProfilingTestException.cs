namespace OpenTelemetry.Profiling.Tests.Sampling;

/// <summary>An exception type no other code throws, so the exceptions profile can be checked exactly.</summary>
internal sealed class KnownProfilingTestException(string message) : Exception(message);
