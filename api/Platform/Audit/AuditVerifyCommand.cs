using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Platform.Audit;

/// <summary>`./build.sh audit-verify` (the API run with the argument `audit-verify`): checks the whole audit
/// chain of the configured database (Headless__Database__ConnectionString, else the embedded local one)
/// and exits 0 when it is intact, 1 naming the first broken row when it is not, 2 when the database
/// cannot be read. The operator command table migrates the database before it runs.</summary>
public static class AuditVerifyCommand
{
    public const string Name = "audit-verify";

    public static Cli.OperatorCommand Command { get; } = new(
        Name, Name, "Checks the audit log's hash chain: exit 0 intact, 1 naming the first broken row, 2 not checked.", [],
        (services, _, output, _, ct) => RunAsync(services.GetRequiredService<NpgsqlDataSource>(), output, ct),
        UnreachableExitCode: 2);

    public static async Task<int> RunAsync(NpgsqlDataSource db, TextWriter output, CancellationToken ct = default)
    {
        AuditVerification result;
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            result = await AuditChain.VerifyAsync(conn, ct);
        }
        catch (NpgsqlException e)
        {
            await output.WriteLineAsync($"Audit chain NOT CHECKED: the database could not be read ({e.Message}).");
            return 2;
        }
        if (result.FirstBroken is { } broken)
        {
            await output.WriteLineAsync(
                $"Audit chain BROKEN at seq {broken.Seq}{(broken.Id is { } id ? $" (id {id})" : "")}: {broken.Reason}. {result.RowsChecked} rows before it verified; chain head seq {result.HeadSeq}.");
            return 1;
        }
        await output.WriteLineAsync($"Audit chain intact: {result.RowsChecked} rows verified, head seq {result.HeadSeq}, hash {result.HeadHash}.");
        return 0;
    }
}
