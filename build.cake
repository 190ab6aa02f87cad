using System.Xml.Linq;
// Headless build: ./build.sh <target>. Every target installs what it needs.
var target = Argument("target", "build");
var configuration = Argument("configuration", "Release");
var root = MakeAbsolute(Directory("."));
var isRoot = Environment.UserName == "root";

void Sh(string command, string args, string workingDirectory = null, IDictionary<string, string> env = null)
{
    var settings = new ProcessSettings { Arguments = args, WorkingDirectory = workingDirectory ?? root.FullPath };
    if (env != null) settings.EnvironmentVariables = env;
    var exit = StartProcess(command, settings);
    if (exit != 0) throw new Exception($"`{command} {args}` failed with exit code {exit}.");
}

void AptInstall(params string[] packages)
{
    var sudo = isRoot ? "" : "sudo ";
    Information($"Installing {string.Join(", ", packages)} from apt ...");
    Sh("bash", $"-c \"{sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -qq {string.Join(" ", packages)}\"");
}

Task("ensure-postgres")
    .Description("Installs PostgreSQL 15 from apt when it is missing (not needed with Headless__Database__ConnectionString).")
    .Does(() =>
{
    if (!string.IsNullOrEmpty(EnvironmentVariable("Headless__Database__ConnectionString")))
    {
        Information("Using the database from Headless__Database__ConnectionString.");
        return;
    }
    if (!FileExists("/usr/lib/postgresql/15/bin/initdb"))
    {
        AptInstall("postgresql-15", "postgresql-contrib");
    }
});

Task("ensure-npm")
    .Description("Installs the pinned npm packages (package-lock.json) when node_modules is missing or stale.")
    .Does(() =>
{
    var stamp = root.CombineWithFilePath("node_modules/.package-lock.json");
    if (!FileExists(stamp) || System.IO.File.GetLastWriteTimeUtc(stamp.FullPath) < System.IO.File.GetLastWriteTimeUtc("package-lock.json"))
    {
        if (!FileExists("/usr/bin/node") && !FileExists("/usr/local/bin/node")) AptInstall("nodejs", "npm");
        Sh("npm", "ci --no-audit --no-fund --loglevel=error");
    }
});

Task("ensure-chromium")
    .Description("Installs Debian's chromium when /usr/bin/chromium is missing: the browser tests drive it with Playwright (which never downloads a browser).")
    .Does(() =>
{
    if (!FileExists("/usr/bin/chromium")) AptInstall("chromium");
});

Task("ensure-pgbackrest")
    .Description("Installs Debian's pgbackrest when it is missing: the local cluster archives its WAL through it, and backup, restore and dr-drill run it.")
    .Does(() =>
{
    if (!FileExists("/usr/bin/pgbackrest")) AptInstall("pgbackrest");
});

Task("ensure-prometheus")
    .Description("Installs Debian's prometheus when promtool is missing: the alert rules in ops/prometheus are checked and unit-tested with `promtool`.")
    .Does(() =>
{
    if (!FileExists("/usr/bin/promtool")) AptInstall("prometheus");
});

Task("admin")
    .Description("Bundles the staff dashboard (admin/src, react-admin) with esbuild into admin/dist, which the API serves at /admin (a few seconds; `test` type-checks it too).")
    .IsDependentOn("ensure-npm")
    .Does(() =>
{
    Sh("node", "admin/build.mjs");
});

Task("admin-check")
    .Description("Type-checks the admin's TypeScript (esbuild only strips types).")
    .IsDependentOn("ensure-npm")
    .Does(() =>
{
    Sh("npx", "--no-install tsc -p admin/tsconfig.json");
});

// Blue and green share the database while a deployment bakes: the previous release must keep working on the
// schema the current release's migrations leave. This migrates a private cluster with the current release,
// then starts the previous release (a git worktree of --ref, by default the commit before the newest change
// to the migrations) on it and runs its read and write paths: a product list and page, a cart and a line.
Task("compat-check")
    .Description("Runs the previous release (--ref, default: before the newest migration change) against a database migrated by this one: reads a product, creates a cart, adds a line.")
    .IsDependentOn("ensure-postgres")
    .Does(() =>
{
    string Git(string args)
    {
        var exit = StartProcess("git", new ProcessSettings { Arguments = args, WorkingDirectory = root.FullPath, RedirectStandardOutput = true }, out var lines);
        if (exit != 0) throw new Exception($"`git {args}` failed with exit code {exit}.");
        return string.Join("\n", lines).Trim();
    }
    var reference = HasArgument("ref") ? Argument<string>("ref")
        : Git("log -n 1 --first-parent --format=%H HEAD -- api/Platform/Database/Migrations") + "^1";
    var previous = Git($"rev-parse --verify {reference}");
    var work = root.Combine(".data/compat");
    var release = work.Combine("release").FullPath;
    var cluster = work.Combine("pg").FullPath;
    const string pgPort = "56651";
    var url = "http://127.0.0.1:56650";
    Information($"Previous release: {previous} ({reference}).");
    if (System.IO.Directory.Exists(release)) Sh("git", $"worktree remove --force {release}");
    if (System.IO.Directory.Exists(cluster)) Sh("bash", $"-c \"/usr/lib/postgresql/15/bin/pg_ctl -D {cluster} stop -m fast >/dev/null 2>&1 || true; rm -rf {cluster}\"");
    Sh("git", $"worktree add --detach {release} {previous}");
    try
    {
        var db = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Headless__LocalPostgres__Directory"] = cluster, ["Headless__LocalPostgres__Port"] = pgPort,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        DotNetBuild("api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = "Release", Verbosity = DotNetVerbosity.Quiet, NoLogo = true });
        Sh("dotnet", "api/bin/Release/net10.0/Headless.Api.dll migrate", env: db);
        DotNetBuild($"{release}/api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = "Release", Verbosity = DotNetVerbosity.Quiet, NoLogo = true });
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", "Headless.Api.dll") { WorkingDirectory = $"{release}/api/bin/Release/net10.0" };
        foreach (var (k, v) in db) start.Environment[k] = v;
        start.Environment["Urls"] = url;
        start.Environment["Headless__Storefront__SiteDirectory"] = work.Combine("site").FullPath;
        using var api = System.Diagnostics.Process.Start(start);
        try
        {
            if (!WaitUntilReady(url, api.WaitForExit)) throw new Exception("The previous release did not become ready on the migrated database.");
            using var http = new System.Net.Http.HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            System.Text.Json.JsonElement Call(System.Net.Http.HttpMethod method, string path, string body = null)
            {
                using var request = new System.Net.Http.HttpRequestMessage(method, path);
                if (body != null) request.Content = new System.Net.Http.StringContent(body, System.Text.Encoding.UTF8, "application/json");
                using var response = http.Send(request);
                var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                if (!response.IsSuccessStatusCode) throw new Exception($"{method} {path}: {(int)response.StatusCode} {text}");
                Information($"{method} {path}: {(int)response.StatusCode}");
                return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
            }
            var slug = Call(System.Net.Http.HttpMethod.Get, "/api/v1/products?limit=1").GetProperty("items")[0].GetProperty("slug").GetString();
            var sku = Call(System.Net.Http.HttpMethod.Get, $"/api/v1/products/{slug}").GetProperty("variants")[0].GetProperty("sku").GetString();
            var token = Call(System.Net.Http.HttpMethod.Post, "/api/v1/carts", "{}").GetProperty("token").GetString();
            Call(System.Net.Http.HttpMethod.Post, $"/api/v1/carts/{token}/lines", $"{{\"sku\":\"{sku}\",\"quantity\":1}}");
            Information($"The previous release {previous[..12]} reads and writes on the current schema.");
        }
        finally
        {
            // SIGINT, so the API stops its private PostgreSQL cleanly.
            StartProcess("kill", new ProcessSettings { Arguments = $"-INT {api.Id}" });
            if (!api.WaitForExit(30000)) api.Kill(true);
        }
    }
    finally
    {
        Sh("git", $"worktree remove --force {release}");
    }
});

Task("terraform-check")
    .Description("Parses every .tf file of infra-terraform/ (npm @cdktf/hcl2json; no Terraform binary here) and checks references, types, pinned versions, state locking and the policy rules; `test` runs the same checks with their failing fixtures.")
    .IsDependentOn("ensure-npm")
    .Does(() =>
{
    Sh("node", "infra-terraform/tests/check.mjs");
});

Task("ensure-libvips")
    .Description("Installs Debian's libvips42 when it is missing: product images are processed with NetVips over it (AVIF through libheif/libaom, WebP, JPEG).")
    .Does(() =>
{
    if (!FileExists("/usr/lib/x86_64-linux-gnu/libvips.so.42") && !FileExists("/usr/lib/aarch64-linux-gnu/libvips.so.42")) AptInstall("libvips42");
});

Task("build")
    .IsDependentOn("ensure-libvips")
    .IsDependentOn("admin")
    .Does(() =>
{
    DotNetBuild("Headless.sln", new DotNetBuildSettings { Configuration = configuration });
});

Task("run")
    .Description("Runs the whole platform on its embedded defaults at http://127.0.0.1:5080 until Ctrl+C: the API, and the storefront generator watching the catalog.")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-pgbackrest")
    .IsDependentOn("ensure-libvips")
    .IsDependentOn("ensure-npm")
    .IsDependentOn("admin")
    .Does(() =>
{
    DotNetBuild("api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = configuration });
    DotNetBuild("storefront-generator/Headless.Storefront.csproj", new DotNetBuildSettings { Configuration = configuration });
    // Ctrl+C reaches both children too; we wait for them to stop (the API stops PostgreSQL cleanly) instead of exiting first.
    Console.CancelKeyPress += (_, e) => e.Cancel = true;
    // Started from its output folder so it finds its appsettings.json; .data/ stays at the repo root.
    // Plain Processes: Cake's IProcess.WaitForExit(timeout) kills the child when the timeout passes.
    // Development, said out loud: the embedded defaults below run only there (any other environment
    // refuses to start without its real database, Stripe keys, certificate and SMTP relay).
    Information("Environment: Development (ASPNETCORE_ENVIRONMENT=Development): private PostgreSQL, test payments, demo catalog, mail to .data/mail. Never expose it to the internet.");
    var apiStart = new System.Diagnostics.ProcessStartInfo("dotnet", "Headless.Api.dll")
    {
        WorkingDirectory = root.Combine($"api/bin/{configuration}/net10.0").FullPath,
    };
    apiStart.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
    if (HasArgument("https"))
    {
        // Also HTTPS, with a development certificate generated under .data/dev-https/ (TransportSecurity.cs).
        apiStart.Environment["Headless__Http__DevelopmentHttpsUrl"] = "https://127.0.0.1:5443";
        Information("HTTPS too: https://127.0.0.1:5443 (certificate .data/dev-https/localhost.crt; browsers warn, it is self-signed).");
    }
    using var api = System.Diagnostics.Process.Start(apiStart);
    var url = ApiUrl();
    if (!WaitUntilReady(url, api.WaitForExit))
    {
        api.WaitForExit();
        Information($"Headless stopped before it was ready (exit {api.ExitCode}).");
        return;
    }
    // The shop: a full build of the catalog into .data/storefront/site (served by the API at /), then
    // the generator follows the change feed and re-renders what each change touches.
    // Without Stripe keys the API takes test payments: the pages say TEST MODE, as its emails do.
    var testPayments = EnvironmentVariable("Headless__Payments__Provider") == "test" || string.IsNullOrEmpty(EnvironmentVariable("Headless__Payments__Stripe__SecretKey"));
    using var shop = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", $"Headless.Storefront.dll watch --api {url}{(testPayments ? " --test-mode" : "")}")
    {
        WorkingDirectory = root.Combine($"storefront-generator/bin/{configuration}/net10.0").FullPath,
    });
    api.WaitForExit();
    if (!shop.WaitForExit(10_000)) shop.Kill(entireProcessTree: true);
    Information($"Headless stopped (exit {api.ExitCode}).");
});

// The address the API listens on: Urls / ASPNETCORE_URLS when set (first one), else its default.
string ApiUrl() => (EnvironmentVariable("Urls") ?? EnvironmentVariable("ASPNETCORE_URLS") ?? "http://127.0.0.1:5080").Split(';')[0].TrimEnd('/');

// The demo products' images are drawn in the background after start: measure the shop with them, not placeholders.
void WaitForDemoImages(string url)
{
    using var http = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    var deadline = DateTime.UtcNow.AddMinutes(15);
    while (true)
    {
        var (total, done) = (0, 0);
        string cursor = null;
        do
        {
            using var page = System.Text.Json.JsonDocument.Parse(http.GetStringAsync($"{url}/api/v1/products?limit=100{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}").Result);
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                total++;
                // The demo's placeholder is /images/products/<slug>-1.jpg (no file); a drawn image has a content-hashed name.
                var slug = item.GetProperty("slug").GetString();
                done += item.TryGetProperty("image", out var image) && image.ValueKind == System.Text.Json.JsonValueKind.Object
                    && image.GetProperty("url").GetString() != $"/images/products/{slug}-1.jpg" ? 1 : 0;
            }
            cursor = page.RootElement.TryGetProperty("nextCursor", out var next) && next.ValueKind == System.Text.Json.JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        Information($"Demo images: {done} of {total} products have theirs.");
        if (done == total) return;
        if (DateTime.UtcNow > deadline) throw new Exception("The demo images were not all drawn within 15 minutes.");
        System.Threading.Thread.Sleep(5000);
    }
}

bool WaitUntilReady(string url, Func<int, bool> exited)
{
    using var http = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    var deadline = DateTime.UtcNow.AddMinutes(3);
    while (DateTime.UtcNow < deadline)
    {
        if (exited(250)) return false;
        try
        {
            if (http.GetAsync(url + "/health/ready").GetAwaiter().GetResult().IsSuccessStatusCode) return true;
        }
        catch (Exception) { /* not listening yet */ }
    }
    return false;
}

// Operator commands: the API binary's own (`dotnet Headless.Api.dll <command> --option=value`), against
// Headless__Database__ConnectionString, or the private local PostgreSQL when none is set (then in
// Development, and it says so). The process ends with the command's exit code and prints nothing after it,
// so a script can take a printed secret from the last line.
void ApiCommand(string command, params string[] options)
{
    DotNetBuild("api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = configuration, Verbosity = DotNetVerbosity.Quiet, NoLogo = true });
    var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = root.Combine($"api/bin/{configuration}/net10.0").FullPath };
    start.ArgumentList.Add("Headless.Api.dll");
    start.ArgumentList.Add(command);
    foreach (var option in options.Where(o => HasArgument(o)))
    {
        start.ArgumentList.Add($"--{option}={Argument<string>(option)}");
    }
    if (string.IsNullOrEmpty(EnvironmentVariable("Headless__Database__ConnectionString")) && string.IsNullOrEmpty(EnvironmentVariable("ASPNETCORE_ENVIRONMENT")))
    {
        Information("No Headless__Database__ConnectionString: using the private local PostgreSQL (.data/pg) in the Development environment.");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
    }
    using var process = System.Diagnostics.Process.Start(start);
    process.WaitForExit();
    Environment.Exit(process.ExitCode);
}

Task("create-admin")
    .Description("Creates an admin account (--email=...) and prints its one-time password: change forced at first sign-in, then authenticator enrolment before admin routes open.")
    .IsDependentOn("ensure-postgres")
    .Does(() => ApiCommand("create-admin", "email"));

Task("create-api-key")
    .Description("Issues an API key (--name=... --scopes=a,b from admin, catalog, orders) and prints it alone on the last line.")
    .IsDependentOn("ensure-postgres")
    .Does(() => ApiCommand("create-api-key", "name", "scopes"));

Task("reset-admin")
    .Description("Sets a new one-time password for an admin account (--email=..., default the first admin), turns its MFA off and signs it out everywhere.")
    .IsDependentOn("ensure-postgres")
    .Does(() => ApiCommand("reset-admin", "email"));

Task("audit-verify")
    .Description("Checks the audit log's hash chain (embedded database, or Headless__Database__ConnectionString): exit 0 intact, 1 naming the first altered, deleted or reordered row, 2 not checked.")
    .IsDependentOn("ensure-postgres")
    .Does(() => ApiCommand("audit-verify"));

Task("vault-rotate-kek")
    .Description("Adds a key-encryption key version to a personal-data vault (--region=eu|us, default this API's) and re-wraps every data key under it in batches (--batch=N), while the API keeps serving.")
    .IsDependentOn("ensure-postgres")
    .Does(() => ApiCommand("vault-rotate-kek", "region", "batch"));

Task("vault-move-plain")
    .Description("Moves personal data that rows from before the vaults still hold in plain core columns into the vaults in batches (--batch=N), printing counts; migrating runs it before migration 0035 too.")
    .IsDependentOn("ensure-postgres")
    .Does(() => ApiCommand("vault-move-plain", "batch"));

Task("vault-reapply-erasures")
    .Description("Re-applies the erasure journal to every personal-data vault: people erased after a restored backup was taken are shredded again (./build.sh restore runs it).")
    .IsDependentOn("ensure-postgres")
    .Does(() => ApiCommand("vault-reapply-erasures"));

Task("migrate")
    .Description("Applies pending migrations as the schema owner (Headless__Database__MigrationConnectionString; the embedded database in Development): the deploy step when the API gets only its least-privileged login.")
    .IsDependentOn("ensure-postgres")
    .Does(() => ApiCommand("migrate"));

Task("format-check")
    .Does(() =>
{
    Sh("dotnet", "format Headless.sln --verify-no-changes --no-restore");
});

Task("test")
    .Description("Runs every test suite against a real PostgreSQL; fails on any failure or on contract drift.")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-npm")
    .IsDependentOn("ensure-chromium")
    .IsDependentOn("ensure-pgbackrest")
    .IsDependentOn("ensure-prometheus")
    .IsDependentOn("ensure-haproxy")
    .IsDependentOn("build")
    .IsDependentOn("format-check")
    .IsDependentOn("sdk-check")
    .IsDependentOn("admin-check")
    .IsDependentOn("openapi-lint")
    .Does(() =>
{
    var results = root.Combine(".data/test-results");
    CleanDirectory(results);
    try
    {
        DotNetTest("Headless.sln", new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            ResultsDirectory = results,
            Loggers = new[] { "console;verbosity=normal", "trx" },
        });
    }
    catch
    {
        PrintFailedTests(results);
        throw;
    }
});

// The console log of a full run is long; repeat the failures at its end so a CI tail shows them.
void PrintFailedTests(DirectoryPath results)
{
    XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
    foreach (var trx in GetFiles(results.FullPath + "/*.trx"))
    {
        var doc = XDocument.Load(trx.FullPath);
        foreach (var failed in doc.Descendants(ns + "UnitTestResult").Where(r => (string)r.Attribute("outcome") == "Failed"))
        {
            var message = (string)failed.Descendants(ns + "Message").FirstOrDefault() ?? "";
            var stack = (string)failed.Descendants(ns + "StackTrace").FirstOrDefault() ?? "";
            Error($"FAILED {failed.Attribute("testName")?.Value}\n{message}\n{string.Join("\n", stack.Split('\n').Take(4))}");
        }
    }
}

Task("openapi")
    .Description("Exports the OpenAPI document the API serves to openapi.yaml.")
    .IsDependentOn("ensure-postgres")
    .Does(() =>
{
    DotNetTest("tests/Headless.Tests/Headless.Tests.csproj", new DotNetTestSettings
    {
        Configuration = configuration,
        Filter = "FullyQualifiedName~OpenApiContractTests.Committed_openapi_yaml_matches_what_the_api_serves",
        EnvironmentVariables = new Dictionary<string, string> { ["HEADLESS_WRITE_OPENAPI"] = "1" },
    });
});

void GenerateSdk(string outDir)
{
    EnsureDirectoryExists($"{outDir}/csharp");
    EnsureDirectoryExists($"{outDir}/typescript");
    Sh("dotnet", $"nswag openapi2csclient /input:openapi.yaml /output:{outDir}/csharp/HeadlessClient.g.cs /namespace:Headless.Sdk /className:HeadlessClient /jsonLibrary:SystemTextJson /generateNullableReferenceTypes:true /generateOptionalPropertiesAsNullable:true /generateOptionalParameters:true /generateClientInterfaces:true /useBaseUrl:false /exceptionClass:ApiException /newLineBehavior:LF");
    Sh("dotnet", $"nswag openapi2tsclient /input:openapi.yaml /output:{outDir}/typescript/headless-client.ts /template:Fetch /className:HeadlessClient /typeScriptVersion:5.0 /nullValue:Null /generateOptionalParameters:true /markOptionalProperties:true /wrapDtoExceptions:true /newLineBehavior:LF");
}

Task("sdk")
    .Description("Regenerates the C# and TypeScript clients in sdk/ from openapi.yaml (the NSwag dotnet tool pinned in .config/dotnet-tools.json).")
    .IsDependentOn("ensure-npm")
    .Does(() => GenerateSdk("sdk"));

Task("sdk-check")
    .Description("Fails when sdk/ differs from what openapi.yaml generates, or the TypeScript client or the storefront widgets do not type-check.")
    .IsDependentOn("ensure-npm")
    .Does(() =>
{
    var temp = ".data/sdk-check";
    CleanDirectory(temp);
    GenerateSdk(temp);
    foreach (var file in new[] { "csharp/HeadlessClient.g.cs", "typescript/headless-client.ts" })
    {
        if (System.IO.File.ReadAllText($"{temp}/{file}") != System.IO.File.ReadAllText($"sdk/{file}"))
            throw new Exception($"sdk/{file} is out of date with openapi.yaml. Run ./build.sh sdk and commit the result.");
    }
    Sh("npx", "tsc -p sdk/typescript/tsconfig.json");
    // The storefront widgets use the TypeScript client: a contract change that breaks them fails here.
    Sh("npx", "tsc -p storefront-generator/widgets/tsconfig.json");
    Information("sdk/ matches openapi.yaml; the TypeScript client and the storefront widgets type-check.");
});

// The API's version: info.version of openapi.yaml, the contract the clients are generated from (the API
// sets it in Platform/OpenApi/OpenApiSetup.cs). Both packages carry it.
string ApiVersion()
{
    var inInfo = false;
    foreach (var line in System.IO.File.ReadLines("openapi.yaml"))
    {
        if (line.StartsWith("info:", StringComparison.Ordinal)) inInfo = true;
        else if (inInfo && line.Length > 0 && !char.IsWhiteSpace(line[0])) break;
        else if (inInfo && line.StartsWith("  version:", StringComparison.Ordinal)) return line["  version:".Length..].Trim().Trim('\'', '"');
    }
    throw new Exception("openapi.yaml has no info.version.");
}

Task("sdk-pack")
    .Description("Packs the C# client as the NuGet package Headless.Client and the TypeScript client as the npm package @headless/client (ESM + .d.ts), versioned from openapi.yaml's info.version (--repository-url=... records the source repository), into .data/packages; then installs each into a fresh temp project (dotnet console from the local folder, offline; npm project with node and tsc) and calls the client.")
    .IsDependentOn("ensure-npm")
    .Does(() =>
{
    var version = ApiVersion();
    var packages = root.Combine(".data/packages").FullPath;
    EnsureDirectoryExists(packages);
    foreach (var old in GetFiles(packages + "/Headless.Client.*.nupkg").Concat(GetFiles(packages + "/headless-client-*.tgz"))) DeleteFile(old);
    var commit = "";
    if (StartProcess("git", new ProcessSettings { Arguments = "rev-parse HEAD", RedirectStandardOutput = true }, out var gitLines) == 0) commit = string.Join("", gitLines).Trim();

    // The repository has no canonical remote yet: --repository-url=https://... records one in both packages.
    var repositoryUrl = Argument("repository-url", "");

    // NuGet: Headless.Client (lib/net10.0 with its XML docs, README.md, MIT, the commit it was built from).
    Sh("dotnet", $"pack sdk/csharp/Headless.Sdk.csproj -c Release -o {packages} -p:Version={version} -p:RepositoryCommit={commit}{(repositoryUrl == "" ? "" : " -p:RepositoryUrl=" + repositoryUrl)} --nologo -v q");
    var nupkg = $"{packages}/Headless.Client.{version}.nupkg";
    using (var zip = System.IO.Compression.ZipFile.OpenRead(nupkg))
    {
        foreach (var entry in new[] { "lib/net10.0/Headless.Sdk.dll", "lib/net10.0/Headless.Sdk.xml", "README.md", "Headless.Client.nuspec" })
        {
            if (zip.GetEntry(entry) is null) throw new Exception($"{nupkg} lacks {entry}.");
        }
    }

    // npm: @headless/client, the generated client compiled by tsc to an ES module with its .d.ts.
    var stage = root.Combine(".data/sdk-pack/npm").FullPath;
    CleanDirectory(stage);
    Sh("npx", $"--no-install tsc -p sdk/typescript/tsconfig.pack.json --outDir {stage}/dist");
    var manifest = System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText("sdk/typescript/package/package.json"))!;
    manifest["version"] = version;
    if (repositoryUrl != "") manifest["repository"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "git", ["url"] = repositoryUrl };
    System.IO.File.WriteAllText($"{stage}/package.json", manifest.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    CopyFile("sdk/typescript/package/README.md", $"{stage}/README.md");
    Sh("npm", $"pack --pack-destination {packages} --loglevel=error", stage);
    var tarball = $"{packages}/headless-client-{version}.tgz";
    if (!FileExists(tarball)) throw new Exception($"npm pack did not write {tarball}.");

    SdkInstallCheck(version, packages, nupkg, tarball);
    Information($"Packed Headless.Client {version} and @headless/client {version} into {packages}; both install into a fresh project and answer a call.");
});

// A fresh project outside the repository (so no Directory.Build.props or node_modules of ours is inherited)
// installs each package the way a third party would and calls the client through a canned fetch/handler
// (sdk/pack-check/: Program.cs for .NET; check.mjs, check.ts and tsconfig.json for npm).
void SdkInstallCheck(string version, string packages, string nupkg, string tarball)
{
    var work = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "headless-sdk-pack-" + Guid.NewGuid().ToString("N")[..10]);
    try
    {
        // .NET: a console app restoring Headless.Client from the local folder. Anything else comes from this
        // machine's package cache (a fallback folder, so restore works offline); Headless.Client is never
        // looked for in the cache, so a repack of the same version is what gets installed.
        var dotnetDir = System.IO.Path.Combine(work, "dotnet");
        Sh("dotnet", $"new console -o {dotnetDir} -n HeadlessClientCheck --no-restore");
        var machineCache = EnvironmentVariable("NUGET_PACKAGES") ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        System.IO.File.WriteAllText(System.IO.Path.Combine(dotnetDir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="packages" /></config>
              <packageSources>
                <clear />
                <add key="headless-local" value="{packages}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="headless-local"><package pattern="Headless.Client" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <fallbackPackageFolders><add key="machine" value="{machineCache}" /></fallbackPackageFolders>
            </configuration>
            """);
        var csproj = System.IO.Path.Combine(dotnetDir, "HeadlessClientCheck.csproj");
        System.IO.File.WriteAllText(csproj, System.IO.File.ReadAllText(csproj).Replace("</Project>",
            $"  <ItemGroup>\n    <PackageReference Include=\"Headless.Client\" Version=\"[{version}]\" />\n  </ItemGroup>\n</Project>"));
        CopyFile("sdk/pack-check/Program.cs", System.IO.Path.Combine(dotnetDir, "Program.cs"));
        Sh("dotnet", "restore", dotnetDir);
        Sh("dotnet", "run --no-restore -c Release", dotnetDir);

        // npm: a fresh ESM project installs the tarball (no dependencies, so offline), imports the client
        // in a script run by node, and type-checks a TypeScript use of it with tsc (NodeNext: the exports map).
        var npmDir = System.IO.Path.Combine(work, "npm");
        EnsureDirectoryExists(npmDir);
        System.IO.File.WriteAllText(System.IO.Path.Combine(npmDir, "package.json"), """{ "name": "headless-client-check", "private": true, "type": "module" }""");
        Sh("npm", $"install {tarball} --offline --no-audit --no-fund --loglevel=error", npmDir);
        foreach (var file in new[] { "check.mjs", "check.ts", "tsconfig.json" }) CopyFile($"sdk/pack-check/{file}", System.IO.Path.Combine(npmDir, file));
        Sh("node", "check.mjs", npmDir);
        Sh("node", $"{root.FullPath}/node_modules/typescript/bin/tsc -p tsconfig.json", npmDir);
    }
    finally
    {
        if (System.IO.Directory.Exists(work)) System.IO.Directory.Delete(work, recursive: true);
    }
}

Task("openapi-lint")
    .Description("Lints openapi.yaml with Spectral's recommended OpenAPI rules (.spectral.yaml); any error fails.")
    .IsDependentOn("ensure-npm")
    .Does(() =>
{
    Sh("npx", "spectral lint openapi.yaml --ruleset .spectral.yaml --fail-severity=error --display-only-failures");
});

// Rewrites one section of docs/benchmarks.md between its markers (appended when missing).
void WriteBenchSection(string name, string content)
{
    var file = "docs/benchmarks.md";
    var text = System.IO.File.ReadAllText(file);
    var start = $"<!-- bench:{name} -->";
    var end = $"<!-- /bench:{name} -->";
    var section = $"{start}\n{content.TrimEnd()}\n{end}";
    var a = text.IndexOf(start, StringComparison.Ordinal);
    var b = text.IndexOf(end, StringComparison.Ordinal);
    text = a >= 0 && b > a ? text[..a] + section + text[(b + end.Length)..] : text.TrimEnd() + "\n\n" + section + "\n";
    System.IO.File.WriteAllText(file, text);
}

Task("lighthouse")
    .Description("Builds the shop from the demo catalog and runs Lighthouse (mobile, Debian chromium) on a product and a category page; records the scores in docs/benchmarks.md.")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-npm")
    .IsDependentOn("ensure-chromium")
    .Does(() =>
{
    DotNetBuild("api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = "Release" });
    DotNetBuild("storefront-generator/Headless.Storefront.csproj", new DotNetBuildSettings { Configuration = "Release" });
    var port = EnvironmentVariable("HEADLESS_LIGHTHOUSE_PORT") ?? "5099";
    var url = $"http://127.0.0.1:{port}";
    var site = root.Combine(".data/lighthouse/site").FullPath;
    var env = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Urls"] = url, ["Headless__Storefront__SiteDirectory"] = site, ["Logging__LogLevel__Default"] = "Warning" };
    // A plain Process, so it can be sent SIGINT at the end and stop its PostgreSQL cleanly.
    var start = new System.Diagnostics.ProcessStartInfo("dotnet", "Headless.Api.dll") { WorkingDirectory = root.Combine("api/bin/Release/net10.0").FullPath };
    foreach (var (k, v) in env) start.Environment[k] = v;
    using var api = System.Diagnostics.Process.Start(start);
    try
    {
        if (!WaitUntilReady(url, api.WaitForExit)) throw new Exception("The API did not become ready.");
        WaitForDemoImages(url);
        Sh("dotnet", $"storefront-generator/bin/Release/net10.0/Headless.Storefront.dll build --api {url} --out {site} --manifest {root.Combine(".data/lighthouse").FullPath}/manifest.json");
        var product = System.IO.Directory.GetDirectories(System.IO.Path.Combine(site, "products")).OrderBy(d => d, StringComparer.Ordinal).First();
        var category = System.IO.Directory.GetDirectories(System.IO.Path.Combine(site, "categories")).OrderBy(d => d, StringComparer.Ordinal).First();
        var pages = new[] { ("product page", $"{url}/products/{System.IO.Path.GetFileName(product)}/"), ("category page", $"{url}/categories/{System.IO.Path.GetFileName(category)}/") };
        var rows = new List<string>();
        foreach (var (label, pageUrl) in pages)
        {
            var report = root.CombineWithFilePath($".data/lighthouse/{label.Replace(' ', '-')}.json").FullPath;
            Sh("npx", $"lighthouse {pageUrl} --quiet --only-categories=performance,accessibility --form-factor=mobile --chrome-flags=\"--headless=new --no-sandbox --disable-gpu\" --output=json --output-path={report}",
                env: new Dictionary<string, string> { ["CHROME_PATH"] = "/usr/bin/chromium" });
            using var doc = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(report));
            var categories = doc.RootElement.GetProperty("categories");
            var audits = doc.RootElement.GetProperty("audits");
            int Score(string name) => (int)Math.Round(categories.GetProperty(name).GetProperty("score").GetDouble() * 100);
            string Metric(string audit) => audits.GetProperty(audit).GetProperty("displayValue").GetString();
            rows.Add($"| {label} | `{new Uri(pageUrl).AbsolutePath}` | {Score("performance")} | {Score("accessibility")} | {Metric("first-contentful-paint")} | {Metric("largest-contentful-paint")} | {Metric("total-blocking-time")} | {Metric("cumulative-layout-shift")} |");
            Information(rows[^1]);
        }
        var lighthouseVersion = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText("node_modules/lighthouse/package.json")).RootElement.GetProperty("version").GetString();
        var chromium = "";
        StartProcess("/usr/bin/chromium", new ProcessSettings { Arguments = "--version", RedirectStandardOutput = true }, out var lines);
        chromium = string.Join(" ", lines).Trim();
        WriteBenchSection("lighthouse", $"""
            ## Storefront: Lighthouse

            `./build.sh lighthouse`, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: npm lighthouse {lighthouseVersion}, {chromium}, mobile form factor with
            Lighthouse's default simulated throttling, pages from the demo catalog served by the API host. Budget: performance ≥ 95 and accessibility ≥ 95.

            | page | path | performance | accessibility | FCP | LCP | TBT | CLS |
            |---|---|---|---|---|---|---|---|
            {string.Join("\n", rows)}
            """);
    }
    finally
    {
        Sh("kill", $"-INT {api.Id}");
        if (!api.WaitForExit(30_000)) api.Kill(entireProcessTree: true);
    }
});

Task("bench")
    .Description("Loads 100,000 products and measures product list/get, add-to-cart and checkout throughput and latency, search, and the storefront generator (full build pages/s, admin edit to republished page); writes docs/benchmarks.md. --quick: a short trial run that leaves the docs alone; --only=catalog|checkout|search|storefront: one section.")
    .IsDependentOn("ensure-postgres")
    // The storefront generator bundles the widgets with npm esbuild.
    .IsDependentOn("ensure-npm")
    .Does(() =>
{
    // The benchmark starts api/bin/Release/net10.0/Headless.Api.dll as a child process: always a Release build.
    DotNetBuild("api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = "Release" });
    // The storefront section runs the generator's CLI, storefront-generator/bin/Release/net10.0/Headless.Storefront.dll.
    DotNetBuild("storefront-generator/Headless.Storefront.csproj", new DotNetBuildSettings { Configuration = "Release" });
    var benchArgs = new ProcessArgumentBuilder();
    if (HasArgument("quick") && Argument("quick", "true") != "false")
    {
        benchArgs.Append("--quick");
    }
    // --only=catalog | checkout | search | storefront: one section of docs/benchmarks.md.
    // --cache-on-only: catalog reads with the shipped read cache only; figures to .data/bench-logs, not the docs.
    if (HasArgument("cache-on-only") && Argument("cache-on-only", "true") != "false")
    {
        benchArgs.Append("--cache-on-only");
    }
    if (HasArgument("only"))
    {
        benchArgs.Append("--only=" + Argument<string>("only"));
    }
    DotNetRun("bench/Headless.Bench/Headless.Bench.csproj", benchArgs, new DotNetRunSettings { Configuration = configuration });
});

Task("ensure-haproxy")
    .Description("Installs Debian's haproxy when /usr/sbin/haproxy is missing: the load balancer of `cluster` and the cluster tests.")
    .Does(() =>
{
    if (!FileExists("/usr/sbin/haproxy")) AptInstall("haproxy");
});

Task("cluster")
    .Description("Runs the scale-out topology until Ctrl+C: PostgreSQL primary + streaming hot standby (.data/cluster), one worker, --instances=N web API processes (default 3) behind HAProxy at http://127.0.0.1:56400.")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-haproxy")
    .IsDependentOn("ensure-libvips")
    .Does(() =>
{
    DotNetBuild("api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = configuration });
    DotNetBuild("tools/Headless.Cluster/Headless.Cluster.csproj", new DotNetBuildSettings { Configuration = configuration });
    // Ctrl+C reaches the tool too; we wait while it stops the API processes, HAProxy and both PostgreSQL servers.
    Console.CancelKeyPress += (_, e) => e.Cancel = true;
    var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = root.FullPath };
    start.ArgumentList.Add(root.CombineWithFilePath($"tools/Headless.Cluster/bin/{configuration}/net10.0/Headless.Cluster.dll").FullPath);
    start.ArgumentList.Add($"--configuration={configuration}");
    if (HasArgument("instances")) start.ArgumentList.Add($"--instances={Argument<string>("instances")}");
    using var cluster = System.Diagnostics.Process.Start(start);
    cluster.WaitForExit();
    if (cluster.ExitCode != 0) throw new Exception($"The cluster stopped with exit code {cluster.ExitCode}.");
});

// Backups (docs/operations.md, "Backups and recovery"): tools/Headless.Backup on the API's private cluster
// (.data/pg; Headless__LocalPostgres__Directory/__Port) and the repository .data/backups (or Headless__Backups__Repository__*).
void BackupTool(string command, params string[] options)
{
    DotNetBuild("tools/Headless.Backup/Headless.Backup.csproj", new DotNetBuildSettings { Configuration = configuration, Verbosity = DotNetVerbosity.Quiet, NoLogo = true });
    var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = root.FullPath };
    start.ArgumentList.Add(root.CombineWithFilePath($"tools/Headless.Backup/bin/{configuration}/net10.0/Headless.Backup.dll").FullPath);
    start.ArgumentList.Add(command);
    foreach (var option in options.Where(o => HasArgument(o)))
    {
        start.ArgumentList.Add($"--{option}={Argument<string>(option)}");
    }
    Console.CancelKeyPress += (_, e) => e.Cancel = true;
    using var process = System.Diagnostics.Process.Start(start);
    process.WaitForExit();
    if (process.ExitCode != 0) Environment.Exit(process.ExitCode);
}

Task("backup")
    .Description("Backs up the local cluster with pgBackRest (--type=full|diff|incr, default full), printing progress and a summary: size, duration, WAL range.")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-pgbackrest")
    .Does(() => BackupTool("backup", "type"));

Task("backup-info")
    .Description("Lists the backups in the repository: label, type, when each finished, size, WAL range.")
    .IsDependentOn("ensure-pgbackrest")
    .Does(() => BackupTool("backup-info"));

Task("restore")
    .Description("Restores the local cluster to --to=<ISO 8601 time with offset|latest> (stop the API first): pgBackRest --delta restore, WAL replay, promotion; prints what it restored to.")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-pgbackrest")
    .Does(() =>
    {
        BackupTool("restore", "to");
        // People erased after the restored backup was taken are shredded again (docs/operations.md, "Erasure and restores").
        ApiCommand("vault-reapply-erasures");
    });

Task("dr-drill")
    .Description("Disaster-recovery drill on a cluster of its own: loads --products=100000 --orders=1000000, backs up, places orders through the API for --seconds=90, kills and deletes PostgreSQL, restores to latest and reports RPO and RTO (--archive-timeout=60, --workers=4, --pg-port, --api-port).")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-pgbackrest")
    .Does(() =>
{
    DotNetBuild("api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = "Release" });
    BackupTool("dr-drill", "products", "orders", "seconds", "workers", "archive-timeout", "pg-port", "api-port");
});

// Drills on the cluster topology (tools/Headless.Drill; .data/drill, ports 28600+): docs/benchmarks.md and docs/operations.md.
void DrillTool(string command, params string[] options)
{
    DotNetBuild("api/Headless.Api.csproj", new DotNetBuildSettings { Configuration = "Release", Verbosity = DotNetVerbosity.Quiet, NoLogo = true });
    DotNetBuild("tools/Headless.Drill/Headless.Drill.csproj", new DotNetBuildSettings { Configuration = "Release", Verbosity = DotNetVerbosity.Quiet, NoLogo = true });
    var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = root.FullPath };
    start.ArgumentList.Add(root.CombineWithFilePath("tools/Headless.Drill/bin/Release/net10.0/Headless.Drill.dll").FullPath);
    start.ArgumentList.Add(command);
    foreach (var option in options.Where(o => HasArgument(o)))
    {
        start.ArgumentList.Add($"--{option}={Argument<string>(option, "true")}");
    }
    Console.CancelKeyPress += (_, e) => e.Cancel = true;
    using var process = System.Diagnostics.Process.Start(start);
    process.WaitForExit();
    if (process.ExitCode != 0) Environment.Exit(process.ExitCode);
}

Task("drill")
    .Description("Black Friday drill on the cluster topology for --minutes=5: the shopper mix from wrk (browse 70 %, search 15 %, cart 10 %, checkout 5 %) at the sale peak × 50 (--rate=R overrides), --instances=3, with an instance SIGKILLed and restarted, PostgreSQL restarted and SMTP down; checks orders, stock, email, 5xx/503 and alerts (Prometheus), writes its section of docs/benchmarks.md; fails if a must fails.")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-haproxy")
    .IsDependentOn("ensure-libvips")
    .IsDependentOn("ensure-prometheus")
    .IsDependentOn("ensure-npm")
    .Does(() =>
{
    if (!FileExists("/usr/bin/wrk")) AptInstall("wrk");
    DrillTool("drill", "minutes", "rate", "instances", "base-port", "no-docs");
});

Task("failover-drill")
    .Description("Standby failover drill on the cluster topology: steady checkouts (--shoppers=4, --instances=2) for --seconds=30, SIGKILL to the primary, promotes the hot standby (the instances' multi-host connection strings find it) and reports RPO (confirmed orders lost) and RTO (kill to checkouts confirmed again).")
    .IsDependentOn("ensure-postgres")
    .IsDependentOn("ensure-haproxy")
    .IsDependentOn("ensure-libvips")
    .Does(() => DrillTool("failover-drill", "seconds", "shoppers", "instances", "base-port"));

RunTarget(target);
