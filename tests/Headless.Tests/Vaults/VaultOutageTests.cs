using System.Net;
using System.Text.Json.Nodes;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Vaults;

/// <summary>A vault whose PostgreSQL is stopped: personal data answers 503 with Retry-After through the API's problem
/// pipeline, /health/ready says Degraded (still 200), and browsing the catalog goes on.</summary>
public sealed class VaultOutageTests(VaultApiFactory api) : IClassFixture<VaultApiFactory>
{
    private const int VaultPort = 26810;

    [Fact]
    public async Task A_stopped_vault_answers_503_with_Retry_After_and_ready_reports_it_degraded_while_browsing_works()
    {
        // The EU vault on a PostgreSQL of its own, so it can be stopped without stopping the test cluster.
        await using var pg = await LocalPostgres.StartAsync(Path.Combine(RepoPaths.Data, $"test-vault-down-{VaultPort}"), VaultPort, "vault_eu", TextWriter.Null);
        var cs = pg.ConnectionString("vault_eu");
        var residency = api.Regions.Residency;
        var regionSettings = new Dictionary<string, RegionSettings>(residency.Regions)
        {
            [Residency.Eu] = residency.Settings(Residency.Eu) with { ConnectionString = cs, MigrationConnectionString = cs, CreateDatabase = false },
        };
        await using var regions = VaultRegions.From(residency with { Regions = regionSettings });
        await regions[Residency.Eu].Database.MigrateAsync(default);
        var vault = new PersonalDataVault(regions, new DataKeyCache());
        var person = await vault.CreatePersonAsync("DE");
        await vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = "Greta" });
        Assert.Equal("Greta", (await vault.GetAsync(person))!["name"]);

        await using var host = api.WithWebHostBuilder(b => b.UseSetting("Headless:Residency:Regions:eu:ConnectionString", cs));
        var client = host.CreateClient();
        Assert.Equal("Healthy", (await ReadyAsync(client))["checks"]!["vault"]!["status"]!.GetValue<string>());

        await pg.StopAsync();

        var down = await Assert.ThrowsAsync<VaultUnavailableException>(() => vault.GetAsync(person));
        Assert.Equal(Residency.Eu, down.Region);
        await Assert.ThrowsAsync<VaultUnavailableException>(() => vault.FindByEmailAsync("greta@example.test"));

        // What a route that touches the vault answers: the API's own exception handling, given the exception above.
        var http = await HandledAsync(host.Services, down);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, http.Response.StatusCode);
        Assert.Equal(VaultProblems.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), http.Response.Headers.RetryAfter.ToString());
        var problem = JsonNode.Parse(((MemoryStream)http.Response.Body).ToArray())!;
        Assert.Equal("https://headless.dev/problems/vault-unavailable", problem["type"]!.GetValue<string>());
        Assert.Equal(503, problem["status"]!.GetValue<int>());
        Assert.NotNull(problem["traceId"]);
        Assert.DoesNotContain(VaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.ToJsonString());

        // Ready stays 200: the vault is Degraded, the core database Healthy; the catalog answers.
        var ready = await ReadyAsync(client);
        Assert.Equal("Degraded", ready["checks"]!["vault"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", ready["checks"]!["database"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/products")).StatusCode);
    }

    [Fact]
    public async Task A_missing_key_file_answers_503_and_ready_names_the_key_version_until_it_is_back()
    {
        var person = await api.Vault.CreatePersonAsync("DE");
        await api.Vault.PutAsync(person, new Dictionary<string, string?> { ["name"] = "Greta" });
        // The same vault databases, but an instance whose key folder lacks the KEK files (not mounted, deleted).
        var emptyKeys = Directory.CreateTempSubdirectory("headless-keys-missing-");
        try
        {
            await using var host = api.WithWebHostBuilder(b => b.UseSetting("Headless:Residency:Regions:eu:KeyDirectory", emptyKeys.FullName));
            var client = host.CreateClient();
            var vault = host.Services.GetRequiredService<PersonalDataVault>();

            var ready = await ReadyAsync(client);
            Assert.Equal("Degraded", ready["checks"]!["vault"]!["status"]!.GetValue<string>());
            Assert.Contains("key-encryption key", ready["checks"]!["vault"]!["description"]!.GetValue<string>());
            Assert.NotEqual("0", ready["checks"]!["vault"]!["eu.keysMissing"]!.GetValue<string>());
            Assert.DoesNotContain(emptyKeys.FullName, ready.ToJsonString());

            var down = await Assert.ThrowsAsync<VaultUnavailableException>(() => vault.GetAsync(person));
            Assert.IsType<KeyEncryptionKeyMissingException>(down.InnerException);
            var http = await HandledAsync(host.Services, down);
            Assert.Equal(StatusCodes.Status503ServiceUnavailable, http.Response.StatusCode);
            Assert.False(string.IsNullOrEmpty(http.Response.Headers.RetryAfter.ToString()));

            // The key files put back: the same instance reads the person and reports Healthy.
            foreach (var file in Directory.GetFiles(api.Regions.Residency.Settings(Residency.Eu).KeyDirectory!, "vault-eu-kek-*.key"))
            {
                File.Copy(file, Path.Combine(emptyKeys.FullName, Path.GetFileName(file)));
            }
            Assert.Equal("Greta", (await vault.GetAsync(person))!["name"]);
            Assert.Equal("Healthy", (await ReadyAsync(client))["checks"]!["vault"]!["status"]!.GetValue<string>());
        }
        finally
        {
            emptyKeys.Delete(recursive: true);
        }
    }

    /// <summary>What a vault route answers for <paramref name="error"/>: the API's own exception handlers, on a GET of
    /// /api/v1/account; fails unless one of them handled it.</summary>
    private static async Task<HttpContext> HandledAsync(IServiceProvider services, Exception error)
    {
        var http = new DefaultHttpContext { RequestServices = services.CreateScope().ServiceProvider };
        http.Request.Method = "GET";
        http.Request.Path = "/api/v1/account";
        http.Response.Body = new MemoryStream();
        foreach (var handler in services.GetServices<IExceptionHandler>())
        {
            if (await handler.TryHandleAsync(http, error, default))
            {
                return http;
            }
        }
        Assert.Fail("No exception handler answered " + error.GetType().Name);
        return http;
    }

    private static async Task<JsonNode> ReadyAsync(HttpClient client)
    {
        var response = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
