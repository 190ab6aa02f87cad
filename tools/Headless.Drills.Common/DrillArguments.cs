using System.Globalization;

namespace Headless.Drills;

/// <summary>A drill tool's command line: the first word is the command, every `--key=value` (or bare `--flag`,
/// which reads "true") an option; keys ignore case.</summary>
public sealed class DrillArguments
{
    private readonly Dictionary<string, string> _options;

    public DrillArguments(IEnumerable<string> args)
    {
        var list = args.ToList();
        Command = list.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        _options = list.Where(a => a.StartsWith("--", StringComparison.Ordinal))
            .Select(a => a[2..].Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "true", StringComparer.OrdinalIgnoreCase);
    }

    public string? Command { get; }

    public bool Has(string key) => _options.ContainsKey(key);

    public string? Text(string key) => _options.GetValueOrDefault(key);

    public string Text(string key, string fallback) => _options.GetValueOrDefault(key) ?? fallback;

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, or the fallback when absent.</summary>
    /// <exception cref="DrillError">The value is not one.</exception>
    public int Int(string key, int fallback, int min = 1, int max = int.MaxValue)
    {
        if (!_options.TryGetValue(key, out var value))
        {
            return fallback;
        }
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new DrillError(max == int.MaxValue
                ? $"--{key}={value}: a whole number of at least {min}, please."
                : $"--{key}={value}: a whole number from {min} to {max}, please.");
    }
}
