namespace OpenTelemetry.Profiling.Receiver;

/// <summary>One profile request as received: its message bytes (decompressed), the protocol and the encoding it came in.</summary>
internal sealed record ReceivedProfileMessage(byte[] Message, bool Grpc, string? Encoding);
