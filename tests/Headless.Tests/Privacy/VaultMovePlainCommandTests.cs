using Dapper;
using Headless.Api.Platform.Vaults;
using Headless.Tests.Infrastructure;
using Headless.Tests.Platform;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Privacy;

/// <summary>`dotnet Headless.Api.dll vault-move-plain` (./build.sh vault-move-plain), as production's operator runs it:
/// it prints what is left, moves it, and says when nothing is left in plain text.</summary>
public sealed class VaultMovePlainCommandTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private RegionSettings EuVault => api.Services.GetRequiredService<VaultRegions>()[Residency.Eu].Database.Settings;

    [Fact]
    public async Task The_command_moves_an_old_format_mail_payload_into_the_vault_and_reports_nothing_left()
    {
        var to = $"old-mail-{Guid.NewGuid():N}@example.test";
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            // A mail queued by a release before the vaults: the recipient and model in the outbox payload itself.
            await conn.ExecuteAsync("""
                insert into outbox (topic, aggregate_type, aggregate_id, payload)
                values ('email.requested', 'email', 'anonymous', jsonb_build_object('template', 'confirm-email', 'to', @to::text, 'toName', 'Old',
                        'model', jsonb_build_object('name', 'Old', 'link', 'https://shop.test/x')))
                """, new { to });
        }

        var (exit, run) = await ApiBinary.RunAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Headless__Database__ConnectionString"] = api.ConnectionString,
            ["Headless__Database__MigrationConnectionString"] = api.OwnerConnectionString,
            ["Headless__Residency__Region"] = Residency.Eu,
            ["Headless__Residency__Regions__eu__ConnectionString"] = EuVault.ConnectionString!,
            ["Headless__Residency__Regions__eu__MigrationConnectionString"] = EuVault.MigrationConnectionString!,
            ["Headless__Residency__Regions__eu__KeyDirectory"] = EuVault.KeyDirectory!,
            ["Headless__Residency__Regions__eu__BlindIndexKey"] = Convert.ToBase64String(EuVault.BlindIndexKey!),
        }, "vault-move-plain", "--batch=10");

        Assert.True(exit == 0, run.Output);
        Assert.Contains("queued mails 1", run.Stdout);
        Assert.Contains("Nothing left in plain text.", run.Stdout);
        Assert.DoesNotContain(to, run.Output, StringComparison.OrdinalIgnoreCase);
        await using var check = await api.Db.OpenConnectionAsync();
        Assert.Equal(0, await check.ExecuteScalarAsync<long>("select count(*) from outbox where payload::text ilike @pattern", new { pattern = $"%{to}%" }));
    }
}
