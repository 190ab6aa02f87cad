using Headless.Api.Platform.Vaults;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Headless.Tests.Vaults;

/// <summary>The API in Development on a fresh database: its start-up created and migrated both vault databases
/// (`&lt;db&gt;_vault_eu`, `&lt;db&gt;_vault_us`) in the test cluster, exactly as `./build.sh run` does in the private one.</summary>
public sealed class VaultApiFactory : ApiFactory
{
    public VaultRegions Regions => Services.GetRequiredService<VaultRegions>();

    public PersonalDataVault Vault => Services.GetRequiredService<PersonalDataVault>();

    /// <summary>The API of one region only (as in production), or with its own cache, on the same two vault databases.</summary>
    public PersonalDataVault VaultServing(string region, DataKeyCache? cache = null) =>
        new(new VaultRegions(Regions.Residency with { Region = region, ServesAllRegions = false }, Residency.AllRegions.ToDictionary(r => r, r => Regions[r])), cache ?? new DataKeyCache());

    /// <summary>The vault database as its owner, for inspection.</summary>
    public NpgsqlDataSource VaultOwner(string region) => NpgsqlDataSource.Create(Regions[region].Database.Settings.MigrationConnectionString!);

    public static Residency Development(string region = Residency.Eu, IDictionary<string, string?>? settings = null)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Headless:Residency:Region"] = region })
            .Build();
        return Residency.From(config, new DevelopmentEnvironment());
    }

    private sealed class DevelopmentEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Development;
        public string ApplicationName { get; set; } = "Headless.Api";
        public string ContentRootPath { get; set; } = Directory.GetCurrentDirectory();
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
