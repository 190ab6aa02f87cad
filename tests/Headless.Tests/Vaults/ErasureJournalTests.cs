using System.Diagnostics;
using Dapper;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Vaults;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Headless.Tests.Vaults;

/// <summary>
/// Erasure survives a backup restore. The backups here are `pg_dump -Fc` of the vault database (and of the core
/// database), restored by dropping the database and `pg_restore` into a new one of the same name: a vault is a database
/// of its own (its own RDS in production), and a logical dump restores exactly that database inside the shared test
/// cluster, where pgBackRest restores a whole cluster (every test class's databases). pgBackRest's own restores are
/// proven in Backups/; what matters here is that the restored vault holds the erased person's key again.
/// </summary>
public sealed class ErasureJournalTests
{
    private static string Email() => $"Erased.{Guid.NewGuid():N}@Example.test";

    [Fact]
    public async Task An_erasure_is_re_applied_at_start_up_from_the_core_journal_after_the_vault_is_restored_from_an_older_backup()
    {
        var logins = await TestDatabase.CreateAsync();
        var archive = Directory.CreateTempSubdirectory("headless-erasures-").FullName;
        var email = Email();
        PersonRef person, neighbour;
        string vaultBackup;
        await using (var api = new JournalHost(logins, archive))
        {
            (person, neighbour) = await TwoPeopleAsync(api.Vault, email);
            vaultBackup = await DumpAsync(VaultOwner(logins.Owner));
            Assert.True(await api.Vault.ShredAsync(person));
            Assert.Null(await api.Vault.GetAsync(person));
        }
        Assert.True(File.Exists(ArchivedAt(archive, person)));
        Assert.True(await JournaledAsync(logins.Owner, person));

        await RestoreAsync(VaultOwner(logins.Owner), vaultBackup);
        Assert.True(await HasKeyAsync(logins.Owner, person), "the restored vault holds the erased person's data key again");
        // Only the core table is left to say the person was erased.
        File.Delete(ArchivedAt(archive, person));

        await using (var api = new JournalHost(logins, archive))
        {
            await AssertErasedAsync(api, person, email);
            Assert.Equal("Neighbour", (await api.Vault.GetAsync(neighbour))!["name"]);
        }
        Assert.False(await HasKeyAsync(logins.Owner, person));
        // The archive got its copy back from the table.
        Assert.True(File.Exists(ArchivedAt(archive, person)));
    }

    [Fact]
    public async Task With_the_core_database_restored_to_before_the_erasure_too_the_archive_alone_re_applies_it()
    {
        var logins = await TestDatabase.CreateAsync();
        var archive = Directory.CreateTempSubdirectory("headless-erasures-").FullName;
        var email = Email();
        PersonRef person, neighbour;
        string vaultBackup, coreBackup;
        await using (var api = new JournalHost(logins, archive))
        {
            (person, neighbour) = await TwoPeopleAsync(api.Vault, email);
            vaultBackup = await DumpAsync(VaultOwner(logins.Owner));
            coreBackup = await DumpAsync(logins.Owner);
            Assert.True(await api.Vault.ShredAsync(person));
        }

        await RestoreAsync(logins.Owner, coreBackup);
        await RestoreAsync(VaultOwner(logins.Owner), vaultBackup);
        Assert.True(await HasKeyAsync(logins.Owner, person));
        Assert.False(await JournaledAsync(logins.Owner, person), "the restored core database predates the erasure");

        await using (var api = new JournalHost(logins, archive))
        {
            await AssertErasedAsync(api, person, email);
            Assert.Equal("Neighbour", (await api.Vault.GetAsync(neighbour))!["name"]);
        }
        // The core table got its row back from the archive.
        Assert.True(await JournaledAsync(logins.Owner, person));
    }

    [Fact]
    public async Task The_restore_command_re_applies_the_journal_and_says_how_many_came_back()
    {
        var logins = await TestDatabase.CreateAsync();
        var archive = Directory.CreateTempSubdirectory("headless-erasures-").FullName;
        var email = Email();
        PersonRef person;
        string vaultBackup;
        await using (var api = new JournalHost(logins, archive))
        {
            (person, _) = await TwoPeopleAsync(api.Vault, email);
            vaultBackup = await DumpAsync(VaultOwner(logins.Owner));
            Assert.True(await api.Vault.ShredAsync(person));
        }
        await RestoreAsync(VaultOwner(logins.Owner), vaultBackup);
        Assert.True(await HasKeyAsync(logins.Owner, person));

        var (exit, run) = await Platform.ApiBinary.RunAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Headless__Database__ConnectionString"] = logins.App,
            ["Headless__Database__MigrationConnectionString"] = logins.Owner,
            ["Headless__ErasureJournal__Directory"] = archive,
            ["Headless__Catalog__LoadDemoCatalog"] = "false",
        }, "vault-reapply-erasures");

        Assert.True(exit == 0, run.Output);
        Assert.Contains("Vault eu: 1 erased people were back and are shredded again.", run.Stdout);
        Assert.Contains("Vault us: 0 erased people", run.Stdout);
        Assert.False(await HasKeyAsync(logins.Owner, person));
    }

    private static async Task<(PersonRef Person, PersonRef Neighbour)> TwoPeopleAsync(PersonalDataVault vault, string email)
    {
        var person = await vault.FindOrCreateByEmailAsync(email, "DE");
        await vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = "Greta Erased", ["street"] = "Hauptstraße 1" });
        var neighbour = await vault.CreatePersonAsync("DE");
        await vault.PutAsync(neighbour, new Dictionary<string, string?> { ["name"] = "Neighbour" });
        Assert.Equal(Residency.Eu, person.Region);
        return (person, neighbour);
    }

    /// <summary>After a restart: the person's fields cannot be read and their sign-in email (the vault's blind index,
    /// what sign-in looks people up by) finds nobody; the API reports the vault ready.</summary>
    private static async Task AssertErasedAsync(JournalHost api, PersonRef person, string email)
    {
        var ready = System.Text.Json.Nodes.JsonNode.Parse(await api.CreateClient().GetStringAsync("/health/ready"))!;
        Assert.Equal("Healthy", ready["checks"]!["vault"]!["status"]!.GetValue<string>());
        Assert.Null(await api.Vault.GetAsync(person));
        Assert.Null(await api.Vault.FindByEmailAsync(email));
        Assert.Empty(await api.Vault.GetManyAsync([person]));
        await Assert.ThrowsAsync<PersonNotFoundException>(() => api.Vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = "back?" }));
    }

    private static string ArchivedAt(string archive, PersonRef person) => Path.Combine(archive, "erasures", person.Region, person.Id.ToString("N"));

    private static string VaultOwner(string coreOwner) => RegionSettings.VaultDatabaseOf(coreOwner, Residency.Eu);

    private static async Task<bool> HasKeyAsync(string coreOwner, PersonRef person)
    {
        await using var conn = new NpgsqlConnection(VaultOwner(coreOwner));
        return await conn.ExecuteScalarAsync<bool>("select wrapped_key is not null from vault_people where id = @Id", new { person.Id });
    }

    private static async Task<bool> JournaledAsync(string coreOwner, PersonRef person)
    {
        await using var conn = new NpgsqlConnection(coreOwner);
        return await conn.ExecuteScalarAsync<bool>("select exists (select 1 from erasure_journal where person_id = @Id)", new { person.Id });
    }

    /// <summary>`pg_dump -Fc` of the database, as its owner: the backup.</summary>
    private static async Task<string> DumpAsync(string owner)
    {
        var file = Path.Combine(Path.GetTempPath(), $"headless-backup-{Guid.NewGuid():N}.dump");
        await PgAsync("pg_dump", owner, "-Fc", "-f", file);
        return file;
    }

    /// <summary>The database dropped (its sessions ended) and made again from the dump: the restore.</summary>
    private static async Task RestoreAsync(string owner, string dump)
    {
        var name = new NpgsqlConnectionStringBuilder(owner).Database!;
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(await TestDatabase.SuperuserAsync(owner)) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            // Both wait for a checkpoint, which takes long on a busy machine: no 30 s command limit.
            await conn.ExecuteAsync($"drop database \"{name}\" with (force)", commandTimeout: 0);
            await conn.ExecuteAsync($"create database \"{name}\" owner {LocalLogins.OwnerRole}", commandTimeout: 0);
        }
        NpgsqlConnection.ClearAllPools();
        await PgAsync("pg_restore", owner, "--exit-on-error", "--single-transaction", dump);
    }

    private static async Task PgAsync(string tool, string connectionString, params string[] args)
    {
        var cs = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(Path.Combine("/usr/lib/postgresql/15/bin", tool)) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add($"--host={cs.Host}");
        start.ArgumentList.Add($"--port={cs.Port}");
        start.ArgumentList.Add($"--username={cs.Username}");
        start.ArgumentList.Add($"--dbname={cs.Database}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["PGPASSWORD"] = cs.Password;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool} failed: {await errors}");
    }

    /// <summary>The API in Development on given databases (so a second one can start where the first stopped), with
    /// its own erasure archive folder.</summary>
    private sealed class JournalHost(DatabaseLogins logins, string archive) : WebApplicationFactory<Program>
    {
        public PersonalDataVault Vault => Services.GetRequiredService<PersonalDataVault>();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Headless:Database:ConnectionString", logins.App);
            builder.UseSetting("Headless:Database:MigrationConnectionString", logins.Owner);
            builder.UseSetting("Headless:Catalog:LoadDemoCatalog", "false");
            builder.UseSetting("Headless:Catalog:DemoImages", "false");
            builder.UseSetting("Headless:ErasureJournal:Directory", archive);
        }
    }
}
