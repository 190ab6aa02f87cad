using Dapper;
using Headless.Api;
using Headless.Api.Features.Accounts;
using Headless.Api.Features.Catalog;
using Headless.Api.Features.Catalog.Images;
using Headless.Api.Features.Catalog.Imports;
using Headless.Api.Features.Commerce;
using Headless.Api.Features.Email;
using Headless.Api.Features.Payments;
using Headless.Api.Features.Search;
using Headless.Api.Features.Webhooks;
using Headless.Api.Platform.Audit;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Cli;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Health;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Jobs;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.OpenApi;
using Headless.Api.Platform.Problems;
using Headless.Api.Platform.Security;
using Headless.Api.Platform.Startup;
using Headless.Api.Platform.Telemetry;
using Headless.Api.Platform.Vaults;
using Microsoft.Extensions.Options;
using Npgsql;

DefaultTypeMap.MatchNamesWithUnderscores = true;

// `Headless.Api.dll <command> [--option=value]`: an operator command (Platform/Cli) instead of the server.
OperatorCommand? command = null;
CommandLine? commandLine = null;
if (OperatorCommands.IsCommand(args))
{
    (command, commandLine, var usageError) = OperatorCommands.Parse(args);
    if (command is null)
    {
        Console.Error.WriteLine(usageError);
        return OperatorCommands.Usage;
    }
}

var builder = WebApplication.CreateBuilder(command is null ? args : []);

// Outside Development nothing falls back to an embedded default: name every missing setting and stop.
var problems = command is null
    ? StartupChecks.ForServer(builder.Configuration, builder.Environment)
    : StartupChecks.ForCommand(builder.Configuration, builder.Environment);
if (problems.Count > 0)
{
    StartupChecks.Print(problems, builder.Environment.EnvironmentName, Console.Error);
    return StartupChecks.RefusedExitCode;
}

// Embedded default (Development only, see above): with no connection string, run a private PostgreSQL
// under .data/ for as long as we run.
LocalPostgres? localPostgres;
try
{
    localPostgres = await LocalDatabase.StartIfNeededAsync(builder.Configuration);
}
catch (InvalidOperationException e)
{
    // PostgreSQL missing, or its port taken: the message says which, a stack trace would not help.
    Console.Error.WriteLine($"The private PostgreSQL did not start: {e.Message}");
    return StartupChecks.RefusedExitCode;
}
await using var stopsPostgres = localPostgres;

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
builder.ServeDevelopmentHttps();

builder.Services.Configure<CatalogOptions>(builder.Configuration.GetSection(CatalogOptions.Section));
builder.Services.AddSingleton(_ => Database.CreateDataSource(builder.Configuration));
builder.Services.AddSingleton(sp => SchemaOwner.From(builder.Configuration, builder.Environment, sp.GetRequiredService<NpgsqlDataSource>()));
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
builder.Services.AddSingleton(sp => new CatalogCache(sp.GetRequiredService<IOptions<CatalogOptions>>().Value.ReadCache,
    listingStaleFor: TimeSpan.FromMilliseconds(Math.Clamp(sp.GetRequiredService<IOptions<CatalogOptions>>().Value.ListingStaleMilliseconds, 0, 2000))));
builder.Services.AddHostedService<StartupTasks>();
builder.Services.AddHostedService<CatalogChangeListener>();
builder.Services.AddBackgroundServiceSafety();
builder.Services.AddEmail(builder.Configuration);
builder.Services.AddAccounts(builder.Configuration);
builder.Services.AddCommerce(builder.Configuration);
builder.Services.AddSearch(builder.Configuration);
builder.Services.AddWebhooks(builder.Configuration);
builder.Services.AddStorefrontHosting();
builder.Services.AddAuditLog(builder.Configuration);
builder.Services.AddSingleton<Headless.Api.Platform.Outbox.OutboxSignal>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Headless.Api.Platform.Outbox.OutboxSignal>());
builder.Services.AddJobs(builder.Configuration);
builder.Services.AddProductImages(builder.Configuration);
builder.Services.AddJobHandler<Headless.Api.Features.Catalog.Admin.BulkProductJob>();
builder.Services.AddPersonalDataVaults(builder.Configuration, builder.Environment);
builder.Services.AddTransportSecurity(builder.Configuration);
builder.Services.AddProductImports(builder.Configuration);
// Keep last: gates every hosted service registered above by Headless__Role (ServerRoles says how).
builder.Services.GateHostedServicesByRole(builder.Configuration);
// After the gate on purpose: every role exports its metrics and traces (OpenTelemetry starts its providers from a hosted service).
builder.AddTelemetry();

var app = builder.Build();

if (command is not null)
{
    return await OperatorCommands.RunAsync(command, commandLine!, app.Services, Console.Out, Console.Error, app.Environment.IsDevelopment());
}

// A wrong host, password or database is one clear line, not a stack trace from the first query.
var schema = app.Services.GetRequiredService<SchemaOwner>();
if (await Database.UnreachableAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), schema) is { } unreachable)
{
    Console.Error.WriteLine(unreachable);
    return StartupChecks.RefusedExitCode;
}

// Outside Development the API runs as the least-privileged login, never as the schema owner (SchemaOwner says why).
if (!app.Environment.IsDevelopment()
    && await schema.RuntimeLoginProblemsAsync(app.Services.GetRequiredService<NpgsqlDataSource>()) is { Count: > 0 } loginProblems)
{
    StartupChecks.Print(loginProblems, app.Environment.EnvironmentName, Console.Error);
    return StartupChecks.RefusedExitCode;
}

// The search index lag gauge (headless.search.index_lag): started once, with the host.
app.Services.GetRequiredService<SearchLag>().PublishMetric();

app.UseClientAddresses();
app.UseTransportSecurity();
app.UseServerRole();
app.MapMetrics();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAdminApp();
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
          Admin        {urls}/admin (staff sign in with password + authenticator code; `./build.sh create-admin --email=...` makes the first admin)
          Environment  {app.Environment.EnvironmentName}{(app.Environment.IsDevelopment() ? " (embedded defaults; never expose this to the internet)" : "")}
          Payments     {(PaymentsOptions.From(app.Configuration).UsesTestProvider ? "TEST MODE: the built-in test provider, no money moves" : "Stripe")}
          Database     {(localPostgres is null ? "from Headless__Database__ConnectionString" : $"private PostgreSQL at 127.0.0.1:{localPostgres.Port}, data in {localPostgres.Directory}")}
          DB logins    {(localPostgres is null ? "" : $"API as {LocalLogins.AppLogin} (member of headless_app), migrations as {LocalLogins.OwnerRole}; passwords in {localPostgres.Directory}/")}
          Logs         JSON on stdout
        Press Ctrl+C to stop{(localPostgres is null ? "" : " (PostgreSQL stops with it)")}.

        """);
});

await app.RunAsync();
return 0;

public partial class Program;
