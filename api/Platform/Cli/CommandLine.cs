namespace Headless.Api.Platform.Cli;

/// <summary>A command's options, `--name=value` or `--name value`, checked against the ones it takes.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string> _values;

    private CommandLine(Dictionary<string, string> values) => _values = values;

    /// <summary>The options after the command's name, or a message saying what is wrong with them.</summary>
    public static (CommandLine? Line, string? Error) Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> allowed)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                return (null, $"'{arg}' is not an option; options look like --name=value.");
            }
            var (name, value) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0
                ? (arg[2..eq], arg[(eq + 1)..])
                : (arg[2..], i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null);
            if (!allowed.Contains(name))
            {
                return (null, allowed.Count == 0 ? $"--{name}: this command takes no options." : $"--{name} is not an option here; it takes {string.Join(", ", allowed.Select(a => "--" + a))}.");
            }
            if (value is null)
            {
                return (null, $"--{name} needs a value: --{name}=...");
            }
            if (!values.TryAdd(name, value))
            {
                return (null, $"--{name} is given twice.");
            }
        }
        return (new CommandLine(values), null);
    }

    public string? this[string name] => _values.GetValueOrDefault(name);
}
