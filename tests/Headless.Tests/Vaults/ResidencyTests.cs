using Headless.Api.Platform.Vaults;

namespace Headless.Tests.Vaults;

public sealed class ResidencyTests
{
    [Theory]
    [InlineData("DE", "eu")]
    [InlineData("fr", "eu")]
    [InlineData("GB", "eu")]
    [InlineData("CH", "eu")]
    [InlineData("NO", "eu")]
    [InlineData("US", "us")]
    [InlineData("JP", "us")]
    [InlineData("BR", "us")]
    public void The_country_decides_the_region(string country, string region) =>
        Assert.Equal(region, VaultApiFactory.Development().RegionOf(country));

    [Fact]
    public void The_map_is_configuration()
    {
        var residency = VaultApiFactory.Development(settings: new Dictionary<string, string?>
        {
            ["Headless:Residency:Countries:CA"] = "eu",
            ["Headless:Residency:Countries:GB"] = "us",
        });
        Assert.Equal("eu", residency.RegionOf("CA"));
        Assert.Equal("us", residency.RegionOf("GB"));
        Assert.Equal("eu", residency.RegionOf("DE"));
    }

    [Fact]
    public void Development_derives_both_vault_databases_from_the_core_one()
    {
        var residency = VaultApiFactory.Development(settings: new Dictionary<string, string?>
        {
            ["Headless:Database:ConnectionString"] = "Host=127.0.0.1;Database=shop;Username=headless_api",
            ["Headless:Database:MigrationConnectionString"] = "Host=127.0.0.1;Database=shop;Username=headless_owner",
        });
        Assert.Contains("Database=shop_vault_eu", residency.Settings("eu").ConnectionString);
        Assert.Contains("Database=shop_vault_us", residency.Settings("us").MigrationConnectionString);
        Assert.True(residency.Settings("us").CreateDatabase);
    }

    [Fact]
    public void The_wrong_region_problem_names_the_other_region_API()
    {
        var problem = VaultProblems.WrongRegion(new WrongRegionException("us", "https://us.shop.example"));
        Assert.Equal(421, problem.Status);
        Assert.Equal("https://headless.dev/problems/wrong-region", problem.Type);
        Assert.Equal("https://us.shop.example", problem.Extensions["apiBase"]);
        Assert.Contains("https://us.shop.example", problem.Detail);
    }
}
