using System.Diagnostics;

namespace OpenTelemetry.Profiling.Correlation;

/// <summary>
/// The value mirrored into the tracker's <see cref="AsyncLocal{T}"/>: a span's ids, read once when the span
/// becomes current, with the activity they were read from and, for a child span, the box of the parent it was
/// started under, so that when the child ends the parent's ids are at hand again without reading them anew.
/// The execution context holds the box exactly as long as it holds the activity itself; the parent chain is no
/// longer than the activity's own parent chain, which the activity keeps alive anyway.
/// </summary>
internal sealed class SpanKeyBox(SpanKey key, Activity? activity, SpanKeyBox? parent)
{
    public static readonly SpanKeyBox ProfilerWork = new(SpanKey.ProfilerWork, null, null);

    public SpanKey Key { get; } = key;

    public Activity? Activity { get; } = activity;

    public SpanKeyBox? Parent { get; } = parent;

    /// <summary>
    /// The box for <paramref name="activity"/> becoming current where <paramref name="current"/> was: the same
    /// box, the parent's box (a child ended), a box sharing the current span's trace and root (a child started),
    /// or, otherwise, one read from the activity.
    /// </summary>
    public static SpanKeyBox? For(Activity? activity, SpanKeyBox? current)
    {
        if (activity is null)
        {
            return null;
        }

        if (current?.Activity is { } currentActivity)
        {
            if (ReferenceEquals(currentActivity, activity))
            {
                return current;
            }

            if (current.Parent is { } parent && ReferenceEquals(parent.Activity, activity))
            {
                // The root may have been renamed meanwhile (routing names the endpoint after the span started).
                int rootName = SpanKey.CurrentRootNameId(activity);
                return rootName == parent.Key.RootNameId ? parent : new SpanKeyBox(parent.Key with { RootNameId = rootName }, activity, parent.Parent);
            }

            // Only W3C ids are inherited as they are: a W3C child of a hierarchical parent gets a trace id of its own.
            if (ReferenceEquals(activity.Parent, currentActivity) && activity.IdFormat == ActivityIdFormat.W3C && currentActivity.IdFormat == ActivityIdFormat.W3C)
            {
                return new SpanKeyBox(SpanKey.ChildOf(current.Key, activity), activity, current);
            }
        }

        return new SpanKeyBox(SpanKey.From(activity), activity, null);
    }
}
