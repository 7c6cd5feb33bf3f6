using System.Text.Json.Serialization;

namespace RateLimiterSync;

/// <summary>Source-generated JSON for the sync wire format: no reflection on the hot path.</summary>
[JsonSerializable(typeof(SyncMessage))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SyncJsonContext : JsonSerializerContext
{
}
