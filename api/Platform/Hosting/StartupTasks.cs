using Headless.Api.Features.Accounts;
using Headless.Api.Features.Catalog;
using Headless.Api.Features.Demo;
using Headless.Api.Platform.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Platform.Hosting;

/// <summary>Runs before the server accepts requests: migrations (as the schema owner), the first admin account (Development only:
/// elsewhere an operator creates it with `create-admin`, so no password ever reaches a production console),
/// the demo catalog.</summary>
public sealed class StartupTasks(
    NpgsqlDataSource db, SchemaOwner schema, IServiceProvider services, IOptions<CatalogOptions> catalog, IHostEnvironment environment,
    IHostApplicationLifetime lifetime, ILogger<StartupTasks> log) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken ct)
    {
        // As the schema owner (Headless:Database:MigrationConnectionString); everything after runs as the API's own login.
        var applied = await schema.MigrateAsync(MigrationSteps.Of(services), ct);
        log.LogInformation("Migrations: {Applied} applied now, {Total} in all{By}", applied.Count, Migrator.All.Count,
            schema.Migrations is null ? " (migrated by a deploy step: no migration connection configured)" : "");

        if (!environment.IsDevelopment())
        {
            log.LogInformation("No first admin is created outside Development; an operator runs create-admin (./build.sh create-admin --email=...)");
        }
        else if (await AdminAccount.EnsureAsync(services, ct) is { } admin)
        {
            // Shown once on the console, never written to the log stream or stored in clear.
            Console.Error.WriteLine($"""

                ==== First run: admin account (password shown once, store it now) ====
                  email     {admin.Email}
                  password  {admin.Password}
                  Sign in (POST /api/v1/auth/login); you must change the password, then turn on
                  two-factor sign-in (POST /api/v1/account/mfa/authenticator) to use admin routes.
                  Lost it? ./build.sh reset-admin
                ======================================================================

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
            if (await DemoPricing.LoadAsync(db, catalog.Value.Currency, ct))
            {
                log.LogInformation("Demo pricing loaded: standard and express shipping, EU/UK VAT, US sales tax, code WELCOME10");
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
