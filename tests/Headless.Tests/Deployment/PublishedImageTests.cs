using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Headless.Api.Platform.Hosting;
using Headless.Tests.Infrastructure;
using Headless.Tests.Platform;
using Npgsql;

namespace Headless.Tests.Deployment;

/// <summary>
/// Images cannot be pulled or built on these machines, so this tests what the image runs: the API published
/// to a folder of its own (as the Dockerfile's build stage does), started there with configuration from the
/// environment alone, exactly as the ECS task definitions give it: Production, a connection string without a
/// password and the login in PGUSER/PGPASSWORD (the rotated secret's JSON keys), Stripe and SMTP settings,
/// writable paths only under a temporary folder. Each role starts and turns healthy, the Dockerfile's
/// HEALTHCHECK command sees it alive, and Production without its settings refuses to start naming them.
/// </summary>
public sealed class PublishedImageTests(PublishedApi published) : IClassFixture<PublishedApi>
{
    [Theory]
    [InlineData("web")]
    [InlineData("worker")]
    public async Task The_published_folder_starts_from_environment_settings_alone_in_each_role(string role)
    {
        var database = await TestDatabase.CreateAsync();
        var environment = await EcsLikeEnvironmentAsync(database.App, role);
        var port = PublishedApi.PortFromOurRange();
        // The image listens on Urls=http://+:8080 (Dockerfile); here on a port of our own.
        environment["Urls"] = $"http://127.0.0.1:{port}";

        await using var api = published.Start(environment);
        await api.WaitUntilReadyAsync(new Uri($"http://127.0.0.1:{port}"));

        var probe = await ProcessRun.RunAsync("bash", ["-c", HealthCheckCommand(port)], TimeSpan.FromSeconds(30));
        Assert.True(probe.ExitCode == 0, $"the image's HEALTHCHECK failed against a healthy {role}: {probe.Errors}\n{api.Output}");
        Assert.DoesNotContain("   at ", api.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_image_health_check_fails_when_nothing_answers()
    {
        var probe = await ProcessRun.RunAsync("bash", ["-c", HealthCheckCommand(PublishedApi.PortFromOurRange())], TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, probe.ExitCode);
    }

    [Fact]
    public async Task Production_without_its_settings_refuses_to_start_naming_them()
    {
        var (exit, output) = await published.RunToEndAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Headless__Role"] = "web",
        });

        Assert.Equal(1, exit);
        foreach (var setting in new[]
        {
            "Headless__Database__ConnectionString", "Headless__Payments__Stripe__SecretKey", "Headless__Catalog__LoadDemoCatalog",
            "Headless__DataProtection__KmsKeyId", "Headless__Email__Smtp__Host",
        })
        {
            Assert.Contains(setting, output);
        }
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    /// <summary>The settings infra-terraform/modules/app puts in the task definitions, pointed at test stand-ins.</summary>
    private async Task<Dictionary<string, string>> EcsLikeEnvironmentAsync(string appLogin, string role)
    {
        var login = new NpgsqlConnectionStringBuilder(appLogin);
        var withoutSecret = new NpgsqlConnectionStringBuilder(appLogin) { Username = null, Password = null };
        var settings = await Configured.AllAsync();
        return new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Headless__Role"] = role,
            ["Headless__Database__ConnectionString"] = withoutSecret.ConnectionString,
            ["PGUSER"] = login.Username!,
            ["PGPASSWORD"] = login.Password!,
            ["Headless__Payments__Provider"] = "stripe",
            ["Headless__Payments__Stripe__SecretKey"] = settings["Headless__Payments__Stripe__SecretKey"],
            ["Headless__Payments__Stripe__PublishableKey"] = settings["Headless__Payments__Stripe__PublishableKey"],
            ["Headless__Payments__Stripe__WebhookSecret"] = settings["Headless__Payments__Stripe__WebhookSecret"],
            ["Headless__Catalog__LoadDemoCatalog"] = "false",
            ["Headless__Residency__Region"] = settings["Headless__Residency__Region"],
            ["Headless__Residency__Regions__eu__ConnectionString"] = settings["Headless__Residency__Regions__eu__ConnectionString"],
            ["Headless__Residency__Regions__us__ConnectionString"] = settings["Headless__Residency__Regions__us__ConnectionString"],
            ["Headless__Residency__Regions__eu__ApiBaseUrl"] = settings["Headless__Residency__Regions__eu__ApiBaseUrl"],
            ["Headless__Residency__Regions__us__ApiBaseUrl"] = settings["Headless__Residency__Regions__us__ApiBaseUrl"],
            ["Headless__Residency__Regions__eu__KeyDirectory"] = settings["Headless__Residency__Regions__eu__KeyDirectory"],
            ["Headless__Residency__Regions__eu__BlindIndexKey"] = settings["Headless__Residency__Regions__eu__BlindIndexKey"],
            ["Headless__DataProtection__CertificatePath"] = settings["Headless__DataProtection__CertificatePath"],
            ["Headless__DataProtection__CertificatePassword"] = settings["Headless__DataProtection__CertificatePassword"],
            ["Headless__Email__Smtp__Host"] = "127.0.0.1",
            ["Headless__Email__Smtp__Port"] = settings["Headless__Email__Smtp__Port"],
            ["Headless__Email__Smtp__EnableSsl"] = "true",
            ["Headless__Http__KnownNetworks"] = "10.40.0.0/16",
            ["Headless__Admin__Directory"] = published.Writable("admin"),
            ["Headless__Storefront__SiteDirectory"] = published.Writable("site"),
            ["Headless__ObjectStore__Directory"] = published.Writable("objects"),
            ["Headless__ErasureJournal__Directory"] = published.Writable("erasures"),
            ["TMPDIR"] = published.Writable("tmp"),
        };
    }

    /// <summary>The Dockerfile's HEALTHCHECK command, on this test's port instead of the image's 8080.</summary>
    private static string HealthCheckCommand(int port)
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile"));
        var healthCheck = Regex.Match(dockerfile, @"^HEALTHCHECK[^\n]*\\\n\s*CMD (?<command>.+)$", RegexOptions.Multiline);
        Assert.True(healthCheck.Success, "the Dockerfile has a HEALTHCHECK … CMD line");
        var command = healthCheck.Groups["command"].Value.Trim();
        Assert.Contains("127.0.0.1/8080", command);
        return command.Replace("127.0.0.1/8080", $"127.0.0.1/{port}", StringComparison.Ordinal);
    }
}

/// <summary>
/// `dotnet publish` of the API into a temporary folder, once per test class (no rebuild: the test run has just
/// built it in the same configuration), and the processes started from there.
/// </summary>
public sealed class PublishedApi : IAsyncLifetime
{
    private static int _nextPort = 26600;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"headless-published-{Guid.NewGuid():N}");

    public string Folder => Path.Combine(_root, "app");

    /// <summary>A fresh writable folder beside the published one (the image's /tmp volume).</summary>
    public string Writable(string name)
    {
        var path = Path.Combine(_root, "tmp", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A free port from this work's range (26600–26699).</summary>
    public static int PortFromOurRange()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref _nextPort);
            Assert.True(port < 26700, "no free port left in 26600-26699");
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken, try the next one
            }
        }
    }

    public async Task InitializeAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var publish = await ProcessRun.RunAsync("dotnet",
            ["publish", "api/Headless.Api.csproj", "-c", configuration, "--no-build", "-o", Folder], TimeSpan.FromMinutes(5));
        Assert.True(publish.ExitCode == 0, $"dotnet publish failed:\n{publish.Output}\n{publish.Errors}");
        Assert.True(File.Exists(Path.Combine(Folder, "Headless.Api.dll")));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>The published API with only the given environment (none of the test process's settings).</summary>
    public RunningApi Start(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(Folder, "Headless.Api.dll"));
        foreach (var key in start.Environment.Keys.Where(key => key.StartsWith("Headless__", StringComparison.OrdinalIgnoreCase)
            || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || key.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)
            || key.StartsWith("PG", StringComparison.Ordinal) || key.Equals("Urls", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        return new RunningApi(Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet."));
    }

    public async Task<(int Exit, string Output)> RunToEndAsync(IReadOnlyDictionary<string, string> environment)
    {
        var api = Start(environment);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await api.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The published API was still running after 2 minutes:\n{api.Output}");
        }
        var exit = await api.StopAsync();
        return (exit, api.Output);
    }
}

public sealed class RunningApi : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public RunningApi(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellation) => _process.WaitForExitAsync(cancellation);

    /// <summary>Polls /health/ready until 200; fails with the process's output if it exits or takes 2 minutes.</summary>
    public async Task WaitUntilReadyAsync(Uri baseAddress)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            Assert.False(_process.HasExited, $"The published API exited before it was ready:\n{Output}");
            try
            {
                if ((await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }
            await Task.Delay(100);
        }
        Assert.Fail($"The published API was not ready within 2 minutes:\n{Output}");
    }

    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
