using OpenTelemetry.Resources;

namespace OpenTelemetry.Profiling.Model;

/// <summary>
/// What one export carries: the profiles of one interval, their shared dictionary and the resource
/// they describe. Immutable once handed to an exporter.
/// </summary>
internal sealed class ProfileBatch
{
    public ProfileBatch(ProfileDictionary dictionary, IReadOnlyList<Profile> profiles, Resource resource)
    {
        this.Dictionary = dictionary;
        this.Profiles = profiles;
        this.Resource = resource;
    }

    public ProfileDictionary Dictionary { get; }

    public IReadOnlyList<Profile> Profiles { get; }

    public Resource Resource { get; }

    public int SampleCount
    {
        get
        {
            int count = 0;
            foreach (var profile in this.Profiles)
            {
                count += profile.Samples.Count;
            }

            return count;
        }
    }
}
