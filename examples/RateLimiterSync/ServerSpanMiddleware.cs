using System.Diagnostics;
using System.Globalization;

namespace RateLimiterSync;

/// <summary>
/// Names ASP.NET Core's server spans as the HTTP semantic conventions do (<c>GET /api/quota/{key}</c>) and adds
/// the usual attributes. ASP.NET Core itself only creates the span, named
/// <c>Microsoft.AspNetCore.Hosting.HttpRequestIn</c>; the instrumentation package that would enrich it is not
/// used here, and these few lines are all the example needs.
/// </summary>
internal sealed class ServerSpanMiddleware
{
    private readonly RequestDelegate next;

    public ServerSpanMiddleware(RequestDelegate next)
    {
        this.next = next;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var span = Activity.Current;
        if (span is null || span.Source.Name != "Microsoft.AspNetCore")
        {
            await this.next(context);
            return;
        }

        // Routing already ran (WebApplication puts it first), so the matched route template is known.
        string method = context.Request.Method;
        string? route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        span.DisplayName = route is null ? method : $"{method} {route}";
        span.SetTag("http.request.method", method);
        span.SetTag("url.path", context.Request.Path.Value);
        if (route is not null)
        {
            span.SetTag("http.route", route);
        }

        await this.next(context);

        int status = context.Response.StatusCode;
        span.SetTag("http.response.status_code", status);
        if (status >= 500)
        {
            span.SetStatus(ActivityStatusCode.Error, status.ToString(CultureInfo.InvariantCulture));
        }
    }
}
