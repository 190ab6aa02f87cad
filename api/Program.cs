using Dapper;
using Headless.Api;
using Headless.Api.Features.Accounts;
using Headless.Api.Features.Catalog;
using Headless.Api.Features.Commerce;
using Headless.Api.Features.Email;
using Headless.Api.Features.Search;
using Headless.Api.Platform.Audit;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Health;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.OpenApi;
using Headless.Api.Platform.Problems;
using Headless.Api.Platform.Security;
using Microsoft.Extensions.Options;
using Npgsql;

DefaultTypeMap.MatchNamesWithUnderscores = true;

var builder = WebApplication.CreateBuilder(args);

// Embedded default: with no connection string, run a private PostgreSQL under .data/ for as long as we run.
await using var localPostgres = await LocalDatabase.StartIfNeededAsync(builder.Configuration);


builder.Logging.ClearProviders();
builder.Logging.AddJsonConsole(o =>
{
    o.IncludeScopes = true;
    o.UseUtcTimestamp = true;
    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
});
builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = BodySizeLimit.MaxBytes;
    k.AddServerHeader = false;
});

builder.Services.Configure<CatalogOptions>(builder.Configuration.GetSection(CatalogOptions.Section));
builder.Services.AddSingleton(_ => Database.CreateDataSource(builder.Configuration));
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
    o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
});
builder.Services.AddProblemResponses();
builder.Services.AddHeadlessEndpoints();
builder.Services.AddValidators(typeof(Program).Assembly);
builder.Services.AddHeadlessOpenApi();
builder.Services.AddHealth();
builder.Services.AddSingleton(sp => new CatalogCache(sp.GetRequiredService<IOptions<CatalogOptions>>().Value.ReadCache));
builder.Services.AddHostedService<StartupTasks>();
builder.Services.AddHostedService<CatalogChangeListener>();
builder.Services.AddBackgroundServiceSafety();
builder.Services.AddEmail(builder.Configuration);
builder.Services.AddAccounts(builder.Configuration);
builder.Services.AddCommerce(builder.Configuration);
builder.Services.AddSearch(builder.Configuration);
builder.Services.AddStorefrontHosting();
builder.Services.AddAuditLog(builder.Configuration);

var app = builder.Build();

if (args.FirstOrDefault() == "reset-admin")
{
    await Migrator.MigrateAsync(app.Services.GetRequiredService<NpgsqlDataSource>());
    var (email, password) = await AdminAccount.ResetAsync(app.Services, CancellationToken.None);
    Console.WriteLine($"Admin {email}: new password (shown once, change forced at first sign-in; MFA is off until you enrol again):\n  {password}");
    return;
}

if (args.FirstOrDefault() == AuditVerifyCommand.Name)
{
    Environment.ExitCode = await AuditVerifyCommand.RunAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), Console.Out);
    return;
}

// The search index lag gauge (headless.search.index_lag): started once, with the host.
app.Services.GetRequiredService<SearchLag>().PublishMetric();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseStorefront();
app.UseMiddleware<BodySizeLimit>();
app.UseAuthenticationForCredentialedRequests();
app.UseCsrfProtection();
app.UseRateLimiter();
app.UseAuthorization();
app.UseHeadlessEndpoints();


app.Lifetime.ApplicationStarted.Register(() =>
{
    var urls = string.Join(", ", app.Urls);
    Console.Error.WriteLine($"""

        Headless is running.
          API          {urls}/api/v1/products
          OpenAPI      {urls}/openapi/v1.yaml
          Health       {urls}/health/ready
          Shop         {urls}/ (from {StorefrontHosting.SiteDirectory(app.Configuration)})
          Database     {(localPostgres is null ? "from Headless__Database__ConnectionString" : $"private PostgreSQL at 127.0.0.1:{localPostgres.Port}, data in {localPostgres.Directory}")}
          Logs         JSON on stdout
        Press Ctrl+C to stop{(localPostgres is null ? "" : " (PostgreSQL stops with it)")}.

        """);
});

await app.RunAsync();

public partial class Program;
