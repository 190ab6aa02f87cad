using Headless.Tests.Platform;

namespace Headless.Tests.Vaults;

/// <summary>Production refuses to start without the vaults: the built API, started as an operator would.</summary>
public sealed class VaultStartupTests
{
    [Fact]
    public async Task Production_without_vault_settings_refuses_to_start_naming_each_one()
    {
        var settings = await Configured.AllAsync();
        foreach (var key in settings.Keys.Where(k => k.StartsWith("Headless__Residency__", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(key);
        }
        var (exit, run) = await ApiBinary.RunAsync(settings);
        Assert.Equal(1, exit);
        foreach (var setting in new[]
        {
            "Headless__Residency__Region", "Headless__Residency__Regions__eu__ApiBaseUrl", "Headless__Residency__Regions__us__ApiBaseUrl",
        })
        {
            Assert.Contains(setting, run.Stderr);
        }
        Assert.DoesNotContain("Headless__Database__ConnectionString", run.Stderr);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);

        // Once the region is known, its own vault and keys are required; the other region's vault is not.
        settings["Headless__Residency__Region"] = "us";
        (exit, run) = await ApiBinary.RunAsync(settings);
        Assert.Equal(1, exit);
        Assert.Contains("Headless__Residency__Regions__us__ConnectionString", run.Stderr);
        Assert.Contains("Headless__Residency__Regions__us__BlindIndexKey", run.Stderr);
        Assert.DoesNotContain("Headless__Residency__Regions__eu__ConnectionString", run.Stderr);
        Assert.DoesNotContain("Headless__Residency__Region:", run.Stderr);
    }

    [Fact]
    public async Task Production_refuses_a_vault_without_verified_TLS_and_a_region_without_keys()
    {
        var settings = await Configured.AllAsync();
        settings["Headless__Residency__Regions__us__ConnectionString"] = "Host=vault-us.internal;Database=vault;Username=api;SSL Mode=Require";
        settings.Remove("Headless__Residency__Regions__eu__KeyDirectory");
        settings.Remove("Headless__Residency__Regions__eu__BlindIndexKey");
        var (exit, run) = await ApiBinary.RunAsync(settings);
        Assert.Equal(1, exit);
        Assert.Contains("Headless__Residency__Regions__us__ConnectionString: the us vault must be reached over TLS", run.Stderr);
        Assert.Contains("Headless__Residency__Regions__eu__KmsKeyId", run.Stderr);
        Assert.Contains("Headless__Residency__Regions__eu__BlindIndexKey", run.Stderr);
        Assert.DoesNotContain("Headless__Residency__Regions__eu__ConnectionString", run.Stderr);
        // Only this API's region needs its keys here.
        Assert.DoesNotContain("Headless__Residency__Regions__us__KmsKeyId", run.Stderr);
    }
}
