using Headless.Api.Features.Catalog;
using Headless.Api.Features.Demo;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Security;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Platform.Hosting;

/// <summary>Runs before the server accepts requests: migrations, the first admin key, the demo catalog.</summary>
public sealed class StartupTasks(
    NpgsqlDataSource db, IOptions<CatalogOptions> catalog, IHostApplicationLifetime lifetime, ILogger<StartupTasks> log) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken ct)
    {
        var applied = await Migrator.MigrateAsync(db, ct);
        log.LogInformation("Migrations: {Applied} applied now, {Total} in all", applied.Count, Migrator.All.Count);

        if (await ApiKeys.BootstrapAdminKeyAsync(db, ct) is { } key)
        {
            // Shown once on the console, never written to the log stream or stored in clear.
            Console.Error.WriteLine($"""

                ==== First run: admin API key (shown once, store it now) ====
                  {key.Secret}
                  use it as: curl -H "Authorization: Bearer {key.Secret}" http://127.0.0.1:5080/api/v1/admin/...
                  lost it? ./build.sh --target=rotate-admin-key
                ==============================================================

                """);
        }

        if (catalog.Value.LoadDemoCatalog)
        {
            var demo = DemoCatalog.Generate(catalog.Value.DemoProductCount, catalog.Value.Currency);
            var result = await DemoCatalogLoader.LoadAsync(db, demo, null, ct);
            if (result.Loaded)
            {
                log.LogInformation("Demo catalog loaded: {Products} products, {Variants} variants, {Categories} categories in {Ms} ms",
                    result.Products, result.Variants, result.Categories, (int)result.Elapsed.TotalMilliseconds);
            }
        }
        lifetime.ApplicationStarted.Register(() => log.LogInformation("Headless API ready"));
    }

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;
}
