using Headless.Api.Platform.Database;
using Npgsql;

namespace Headless.Api.Platform.Cli;

/// <summary>One operator command: its options, a line of help, and what it does once the database is migrated.
/// It prints what the operator needs to stdout (secrets alone on the last line, so a script can take them with
/// `tail -n 1`), why it refused to stderr, and returns the process's exit code.</summary>
/// <param name="UnreachableExitCode">The exit code when the database cannot be reached: a command whose own codes
/// give 1 another meaning (audit-verify: 1 is a broken chain) says "not checked" with another.</param>
public sealed record OperatorCommand(
    string Name, string Usage, string Help, string[] Options,
    Func<IServiceProvider, CommandLine, TextWriter, TextWriter, CancellationToken, Task<int>> RunAsync,
    int UnreachableExitCode = OperatorCommands.Refused);

/// <summary>
/// The API binary's own commands, `dotnet Headless.Api.dll &lt;command&gt; [--option=value ...]`, wrapped by
/// `./build.sh &lt;command&gt;`. A command builds the same services as the server, against the same database
/// (Headless__Database__ConnectionString, or the private local PostgreSQL in Development), but starts no
/// hosted service and opens no port. Exit codes: 0 done, 1 refused or failed (the message says why and what
/// to do), 2 bad command line.
/// </summary>
public static class OperatorCommands
{
    public const int Done = 0;
    public const int Refused = 1;
    public const int Usage = 2;

    /// <summary>The deploy step of a production that gives the API only its least-privileged login: the operator
    /// command table migrates first, with Headless__Database__MigrationConnectionString, and this has nothing left to do.</summary>
    private static OperatorCommand Migrate { get; } = new(
        "migrate", "migrate", "Applies pending migrations as the schema owner (Headless__Database__MigrationConnectionString), and to each personal-data vault whose MigrationConnectionString is set.", [],
        async (services, _, output, _, ct) =>
        {
            await output.WriteLineAsync($"Schema up to date: {Migrator.All.Count} migrations, the last {Migrator.All[^1].Version}.");
            foreach (var vault in services.GetRequiredService<Vaults.VaultRegions>().All)
            {
                var applied = await vault.Database.MigrateAsync(ct);
                if (applied.Count > 0)
                {
                    await output.WriteLineAsync($"Vault {vault.Region}: {applied.Count} migrations applied.");
                }
            }
            return Done;
        });

    public static IReadOnlyList<OperatorCommand> All { get; } =
    [
        CreateAdmin.Command,
        CreateApiKey.Command,
        ResetAdmin.Command,
        Audit.AuditVerifyCommand.Command,
        Migrate,
        Vaults.VaultSetup.RotateKekCommand,
        Vaults.VaultSetup.ReapplyErasuresCommand,
        Vaults.PlainDataMove.Command,
    ];

    /// <summary>Null when the process should serve (no arguments, or only host options such as --urls).</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && !args[0].StartsWith('-');

    /// <summary>The command and its parsed options, or the exit code and message for a bad command line.</summary>
    public static (OperatorCommand? Command, CommandLine? Line, string? Error) Parse(string[] args)
    {
        var command = All.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            return (null, null, $"Unknown command '{args[0]}'.\n{Help()}");
        }
        var (line, error) = CommandLine.Parse(args[1..], command.Options);
        return error is null ? (command, line, null) : (null, null, $"{error}\nUsage: {command.Usage}");
    }

    public static string Help() =>
        "Commands (dotnet Headless.Api.dll <command>, or ./build.sh <command>):\n"
        + string.Join("\n", All.Select(c => $"  {c.Usage,-52} {c.Help}"));

    /// <summary>Migrates the database as its owner (a command may be the first thing to touch it), checks outside
    /// Development that the API's login is the least-privileged one, and runs the command as that login.</summary>
    public static async Task<int> RunAsync(OperatorCommand command, CommandLine line, IServiceProvider services, TextWriter output, TextWriter errors, bool development)
    {
        var schema = services.GetRequiredService<SchemaOwner>();
        var runtime = services.GetRequiredService<NpgsqlDataSource>();
        if (command == Migrate && schema.Migrations is null)
        {
            errors.WriteLine("migrate needs Headless__Database__MigrationConnectionString: the schema owner's connection string (the API's own login cannot change the schema).");
            return Refused;
        }
        IReadOnlyList<string> problems;
        try
        {
            await schema.MigrateAsync(MigrationSteps.Of(services));
            problems = development ? [] : await schema.RuntimeLoginProblemsAsync(runtime);
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException)
        {
            errors.WriteLine($"Cannot reach the database ({e.Message.TrimEnd('.')}). Check Headless__Database__ConnectionString and Headless__Database__MigrationConnectionString.");
            return command.UnreachableExitCode;
        }
        catch (InvalidOperationException e) when (e.InnerException is Vaults.VaultUnavailableException)
        {
            // A migration step (moving plain rows into the vaults before 0035) needs a vault that does not answer.
            errors.WriteLine(e.Message);
            return command.UnreachableExitCode;
        }
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                errors.WriteLine(problem);
            }
            return command.UnreachableExitCode;
        }
        return await command.RunAsync(services, line, output, errors, CancellationToken.None);
    }
}
