using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Platform;

/// <summary>The operator's commands, run as `dotnet Headless.Api.dll &lt;command&gt;` against the database of an
/// in-process API in the Production environment; what they print is then used against that API.</summary>
public sealed class OperatorCommandTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private Dictionary<string, string> Production => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Headless__Database__ConnectionString"] = api.ConnectionString,
        ["Headless__Database__MigrationConnectionString"] = api.OwnerConnectionString,
        // An EU API on the in-process API's EU vault, with its keys: accounts are people in that vault (issue 15).
        ["Headless__Residency__Region"] = Api.Platform.Vaults.Residency.Eu,
        ["Headless__Residency__Regions__eu__ConnectionString"] = EuVault.ConnectionString!,
        ["Headless__Residency__Regions__eu__MigrationConnectionString"] = EuVault.MigrationConnectionString!,
        ["Headless__Residency__Regions__eu__KeyDirectory"] = EuVault.KeyDirectory!,
        ["Headless__Residency__Regions__eu__BlindIndexKey"] = Convert.ToBase64String(EuVault.BlindIndexKey!),
    };

    private Api.Platform.Vaults.RegionSettings EuVault =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Api.Platform.Vaults.VaultRegions>(api.Services)[Api.Platform.Vaults.Residency.Eu].Database.Settings;

    private static string LastLine(string output) => output.TrimEnd().Split('\n')[^1].Trim();

    [Fact]
    public async Task Create_admin_prints_a_one_time_password_that_must_be_changed_and_refuses_an_existing_account()
    {
        var email = $"ops-{Guid.NewGuid():N}@example.test";
        var (exit, run) = await ApiBinary.RunAsync(Production, "create-admin", $"--email={email}");
        Assert.True(exit == 0, run.Output);
        var password = LastLine(run.Stdout);
        Assert.DoesNotContain(" ", password);

        var client = api.CreateClient();
        var login = await (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(email, password, null, null, false), Http.Json)).ReadAsync<AuthResponse>();
        Assert.True(login.User.MustChangePassword);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.AccessToken);
        var closed = await (await client.GetAsync("/api/v1/admin/users")).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("Change your password", closed["detail"]!.GetValue<string>());
        Assert.Contains("admin", login.User.Roles);

        var (again, second) = await ApiBinary.RunAsync(Production, "create-admin", $"--email={email}");
        Assert.Equal(1, again);
        Assert.Contains("already exists", second.Stderr);
        Assert.Contains($"reset-admin --email={email}", second.Stderr);
        Assert.Equal("", second.Stdout.Trim());
        // The first password still works: nothing was changed.
        Assert.Equal(HttpStatusCode.OK, (await api.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(email, password, null, null, false), Http.Json)).StatusCode);
    }

    [Fact]
    public async Task Create_api_key_prints_the_key_alone_on_the_last_line_with_exactly_its_scopes()
    {
        var name = $"ERP {Guid.NewGuid():N}";
        var (exit, run) = await ApiBinary.RunAsync(Production, "create-api-key", $"--name={name}", "--scopes=catalog,orders");
        Assert.True(exit == 0, run.Output);
        var key = LastLine(run.Stdout);
        Assert.StartsWith("hk_", key);

        var machine = api.CreateClient();
        machine.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.Created, (await machine.PostAsJsonAsync("/api/v1/admin/categories", new { slug = CatalogSeed.Unique("cli"), name = "CLI" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await machine.GetAsync("/api/v1/admin/orders")).StatusCode);
        await (await machine.GetAsync("/api/v1/admin/api-keys")).ProblemAsync(HttpStatusCode.Forbidden);

        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>(
            "select count(*) from audit_log where action = 'api_key.created' and actor = 'system:cli' and after->>'name' = @name", new { name }));
    }

    [Theory]
    [InlineData("create-api-key --name=Feed --scopes=catalog,everything", "--scopes")]
    [InlineData("create-api-key --name=Feed", "--scopes")]
    [InlineData("create-api-key --scopes=catalog", "--name")]
    [InlineData("create-api-key --name=Feed --scopes=catalog --force", "--force")]
    [InlineData("create-admin", "email")]
    [InlineData("create-admin --email=not-an-address", "email")]
    [InlineData("create-admin --email", "--email needs a value")]
    [InlineData("make-me-admin", "Unknown command")]
    public async Task Bad_command_lines_exit_2_with_a_clear_message_and_change_nothing(string commandLine, string message)
    {
        // Production's settings name the in-process API's vault: reading them starts that API (and its first admin) first.
        var production = Production;
        await using var conn = await api.Db.OpenConnectionAsync();
        var before = await conn.ExecuteScalarAsync<long>("select (select count(*) from api_keys) + (select count(*) from users)");

        var (exit, run) = await ApiBinary.RunAsync(production, commandLine.Split(' '));

        Assert.Equal(2, exit);
        Assert.Contains(message, run.Stderr);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout.Trim());
        Assert.Equal(before, await conn.ExecuteScalarAsync<long>("select (select count(*) from api_keys) + (select count(*) from users)"));
    }

    [Fact]
    public async Task Commands_in_production_need_the_connection_string_like_the_server()
    {
        var (exit, run) = await ApiBinary.RunAsync(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" }, "create-api-key", "--name=Feed", "--scopes=catalog");
        Assert.Equal(1, exit);
        Assert.Contains("Headless__Database__ConnectionString", run.Stderr);
        // A command needs only the database: the server's other settings are not its business.
        Assert.DoesNotContain("Stripe", run.Stderr);
        Assert.DoesNotContain("PostgreSQL ready", run.Output);
    }
}
