namespace OpenTelemetry.Profiling.Exporter.Diagnostics;

/// <summary>
/// Removes the configured header values (tokens, API keys) from any text about to be logged: a server's error
/// message or an exception may echo them, and diagnostics must never show them.
/// </summary>
internal sealed class HeaderValueRedactor
{
    public const string Replacement = "[redacted]";

    private readonly string[] values;

    public HeaderValueRedactor(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);

        // Longest first, so a value that contains another is removed whole.
        this.values = [.. headers.Select(h => h.Value).Where(v => !string.IsNullOrEmpty(v)).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];
    }

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        foreach (string value in this.values)
        {
            text = text.Replace(value, Replacement, StringComparison.Ordinal);

            // Servers often echo percent-encoded forms.
            string escaped = Uri.EscapeDataString(value);
            if (escaped != value)
            {
                text = text.Replace(escaped, Replacement, StringComparison.OrdinalIgnoreCase);
            }
        }

        return text;
    }
}
