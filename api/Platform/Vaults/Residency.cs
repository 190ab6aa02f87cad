using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// Where personal data lives (`Headless:Residency`): the region this API serves (`eu` or `us`), which region each
/// country's people belong to, and per region its API base URL, its vault database and its keys. Development derives
/// the vault databases (`&lt;core database&gt;_vault_eu`, `_vault_us`, in the same cluster) and keeps the keys under
/// .data/keys, so the vaults are always on locally; other environments must name everything (<see cref="ProductionProblems"/>).
/// </summary>
public sealed record Residency(string Region, IReadOnlyDictionary<string, string> CountryRegions, IReadOnlyDictionary<string, RegionSettings> Regions)
{
    /// <summary>True in Development when no region is configured: the one local process plays both regions' APIs, so
    /// `./build.sh run` serves German and American customers alike, each from their own vault. Production names its region.</summary>
    public bool ServesAllRegions { get; init; }

    /// <summary>The regions whose vaults this API reads and writes, its own first.</summary>
    public IReadOnlyList<string> Served => ServesAllRegions ? [Region, .. AllRegions.Where(r => r != Region)] : [Region];

    public bool Serves(string region) => ServesAllRegions ? AllRegions.Contains(region) : region == Region;

    public const string Section = "Headless:Residency";
    public const string Eu = "eu";
    public const string Us = "us";
    public static readonly IReadOnlyList<string> AllRegions = [Eu, Us];

    /// <summary>EU and EEA members, the United Kingdom and Switzerland; everyone else is served from the US.</summary>
    private static readonly string[] EuropeanCountries =
    [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL",
        "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "GB", "CH",
    ];

    /// <summary>The region whose vault holds the people of <paramref name="country"/> (ISO 3166-1 alpha-2).</summary>
    public string RegionOf(string country) =>
        CountryRegions.TryGetValue(country.Trim().ToUpperInvariant(), out var region) ? region : Us;

    public RegionSettings Settings(string region) => Regions[region];

    public static Residency From(IConfiguration config, IHostEnvironment env)
    {
        var section = config.GetSection(Section);
        var countries = EuropeanCountries.ToDictionary(c => c, _ => Eu, StringComparer.Ordinal);
        foreach (var entry in section.GetSection("Countries").GetChildren())
        {
            if (entry.Value is { } region && AllRegions.Contains(region.Trim().ToLowerInvariant()))
            {
                countries[entry.Key.ToUpperInvariant()] = region.Trim().ToLowerInvariant();
            }
        }
        var regions = AllRegions.ToDictionary(r => r, r => RegionSettings.From(config, section.GetSection($"Regions:{r}"), r, env), StringComparer.Ordinal);
        var own = section["Region"]?.Trim().ToLowerInvariant();
        return new Residency(string.IsNullOrEmpty(own) ? Eu : own, countries, regions) { ServesAllRegions = string.IsNullOrEmpty(own) && env.IsDevelopment() };
    }

    /// <summary>What production lacks to run the vaults safely: this region's vault database over verified TLS (the
    /// other's too, when given), both regions' API bases (the wrong-region answer names them), and this region's
    /// key-encryption and blind-index keys.</summary>
    public static IEnumerable<string> ProductionProblems(IConfiguration config)
    {
        var section = config.GetSection(Section);
        var own = section["Region"]?.Trim().ToLowerInvariant();
        if (!AllRegions.Contains(own ?? ""))
        {
            yield return "Headless__Residency__Region: which region this API serves, 'eu' or 'us' (it reads and writes only that region's personal-data vault).";
        }
        foreach (var region in AllRegions)
        {
            var prefix = $"Headless__Residency__Regions__{region}__";
            var regionSection = section.GetSection($"Regions:{region}");
            // This region's vault is required; the other's only when given (a staff move of a customer between
            // regions will use it): an API never serves the other region's people from here.
            if (regionSection["ConnectionString"] is not { Length: > 0 } cs || string.IsNullOrWhiteSpace(cs))
            {
                if (region == own)
                {
                    yield return $"{prefix}ConnectionString: no personal-data vault database for {region}.";
                }
            }
            else if (!RequiresVerifiedTls(cs))
            {
                yield return $"{prefix}ConnectionString: the {region} vault must be reached over TLS with the server's certificate verified (SSL Mode=VerifyFull, sslmode=verify-full).";
            }
            if (!Uri.TryCreate(regionSection["ApiBaseUrl"], UriKind.Absolute, out var api) || api.Scheme != Uri.UriSchemeHttps)
            {
                yield return $"{prefix}ApiBaseUrl: the https base URL of the {region} API (a request for a {region} customer elsewhere is sent there).";
            }
            if (region != own)
            {
                continue;
            }
            if (string.IsNullOrWhiteSpace(regionSection["KmsKeyId"]) && string.IsNullOrWhiteSpace(regionSection["KeyDirectory"]))
            {
                yield return $"{prefix}KmsKeyId (an AWS KMS key in the region) or {prefix}KeyDirectory (a mounted secret folder for key files): "
                    + "nothing to wrap the people's data keys with.";
            }
            if (BlindIndexKey.Parse(regionSection["BlindIndexKey"]) is null)
            {
                yield return $"{prefix}BlindIndexKey: 32 random bytes in base64 (a secret), the key of the email lookup index; keep it stable, changing it loses every lookup.";
            }
        }
    }

    // The same rule as the core database's: verified TLS, unless the server is on this machine (loopback or a socket).
    private static bool RequiresVerifiedTls(string connectionString) => Startup.DatabaseTls.IsVerifiedOrLocal(connectionString);
}

/// <summary>One region: its API base, its vault (the API's login, and the owner's for migrations when given), and its keys.</summary>
public sealed record RegionSettings(
    string Region, string? ApiBaseUrl, string? ConnectionString, string? MigrationConnectionString,
    string? KmsKeyId, string? KmsServiceUrl, string? KeyDirectory, byte[]? BlindIndexKey, bool CreateDatabase)
{
    public static RegionSettings From(IConfiguration config, IConfigurationSection section, string region, IHostEnvironment env)
    {
        var cs = Value(section, "ConnectionString");
        var migration = Value(section, "MigrationConnectionString");
        var keyDirectory = Value(section, "KeyDirectory");
        var blindIndex = Vaults.BlindIndexKey.Parse(section["BlindIndexKey"]);
        var create = false;
        if (env.IsDevelopment())
        {
            // Always on locally: the vault is a database beside the core one, created and migrated at start-up.
            if (cs is null && Value(config, "Headless:Database:ConnectionString") is { } core)
            {
                cs = VaultDatabaseOf(core, region);
                migration ??= Value(config, "Headless:Database:MigrationConnectionString") is { } owner ? VaultDatabaseOf(owner, region) : null;
                create = true;
            }
            keyDirectory ??= Path.Combine(Hosting.RepoPaths.Data, "keys");
            blindIndex ??= Vaults.BlindIndexKey.LocalFile(keyDirectory, region);
        }
        return new RegionSettings(region, Value(section, "ApiBaseUrl"), cs, migration, Value(section, "KmsKeyId"), Value(section, "KmsServiceUrl"),
            keyDirectory, blindIndex, create);
    }

    public static string VaultDatabaseOf(string coreConnectionString, string region)
    {
        var builder = new NpgsqlConnectionStringBuilder(coreConnectionString);
        builder.Database = $"{builder.Database ?? "postgres"}_vault_{region}";
        return builder.ConnectionString;
    }

    private static string? Value(IConfiguration section, string key) => section[key] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}
