using System.Net.Http.Headers;
using Headless.Api.Platform.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Headless.Tests.Infrastructure;

/// <summary>The API in-process on its own fresh, migrated database, connected as the least-privileged
/// `headless_api` login and migrating as the owner, as in production. One per test class (IClassFixture).</summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>The API's own login (a member of headless_app).</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The schema owner's login: migrations, and the tests' own setup and inspection.</summary>
    public string OwnerConnectionString { get; private set; } = "";

    public string AdminKey { get; private set; } = "";
    /// <summary>As the owner: tests set up and inspect rows the API's login may not touch.</summary>
    public NpgsqlDataSource Db { get; private set; } = null!;

    protected virtual bool LoadDemoCatalog => false;

    /// <summary>Draw the demo products' images in the background (off: it would change products under a test).</summary>
    protected virtual bool DemoImages => false;

    public async Task InitializeAsync()
    {
        (OwnerConnectionString, ConnectionString) = await TestDatabase.CreateAsync();
        Db = NpgsqlDataSource.Create(OwnerConnectionString);
        await using var conn = await Db.OpenConnectionAsync();
        AdminKey = (await ApiKeys.IssueAsync(conn, "test admin", [Scopes.Admin])).Secret;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Headless:Database:ConnectionString", ConnectionString);
        builder.UseSetting("Headless:Database:MigrationConnectionString", OwnerConnectionString);
        builder.UseSetting("Headless:Catalog:LoadDemoCatalog", LoadDemoCatalog ? "true" : "false");
        builder.UseSetting("Headless:Catalog:DemoProductCount", "200");
        builder.UseSetting("Headless:Catalog:DemoImages", DemoImages ? "true" : "false");
    }

    public HttpClient Admin()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    public new async Task DisposeAsync()
    {
        await Db.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>The API with the 200-product demo catalog loaded at start.</summary>
public sealed class DemoApiFactory : ApiFactory
{
    protected override bool LoadDemoCatalog => true;
}
