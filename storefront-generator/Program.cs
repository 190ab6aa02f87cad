using Amazon.Runtime.Credentials;
using Amazon.S3;
using Headless.Sdk;
using Headless.Storefront.Build;
using Headless.Storefront.Publishing;

namespace Headless.Storefront;

/// <summary>The command line: `dotnet run --project storefront-generator -- build|watch [options]`; see docs/storefront.md.</summary>
internal static class Cli
{
    public static async Task<int> Main(string[] args)
    {

        var command = args.FirstOrDefault();
        if (command is not ("build" or "watch"))
        {
            Console.Error.WriteLine("""
                usage: dotnet run --project storefront-generator -- build|watch [options]

                  build   render the whole shop from the API and publish the files that changed
                  watch   build, then follow the catalog change feed and re-render only what a change touches

                options (environment variables in brackets):
                  --api URL             the Headless API (HEADLESS_API_URL; default http://127.0.0.1:5080)
                  --base-url URL        the shop's public address (HEADLESS_SHOP_URL; default: the API's)
                  --out DIR             local folder to publish to (default .data/storefront/site)
                  --manifest FILE       build manifest (default .data/storefront/manifest.json)
                  --theme DIR           theme folder (default storefront-generator/theme)
                  --s3-bucket NAME      publish to S3 instead (with --s3-region, --s3-prefix, --s3-service-url)
                  --cloudfront ID       invalidate changed pages in this CloudFront distribution after publishing
                  --poll-ms N           change-feed poll interval for watch (default 200)
                  --metrics-port N      watch serves Prometheus metrics at http://127.0.0.1:N/metrics
                                        (HEADLESS_STOREFRONT_METRICS_PORT; publish lag, see docs/operations.md)
                  --test-mode           the API takes test payments only: every page says TEST MODE
                                        (also when Headless__Payments__Provider=test is set, as for the API)
                AWS credentials come from the SDK's usual chain (AWS_ACCESS_KEY_ID, profiles, instance roles).
                """);
            return 2;
        }

        string? Option(string name, string? env = null)
        {
            var at = Array.IndexOf(args, "--" + name);
            if (at >= 0 && at + 1 < args.Length)
            {
                return args[at + 1];
            }
            return env is null ? null : Environment.GetEnvironmentVariable(env);
        }

        var api = Option("api", "HEADLESS_API_URL") ?? "http://127.0.0.1:5080";
        var options = new StorefrontOptions
        {
            BaseUrl = Option("base-url", "HEADLESS_SHOP_URL") ?? api,
            TestMode = args.Contains("--test-mode") || string.Equals(Environment.GetEnvironmentVariable("Headless__Payments__Provider"), "test", StringComparison.OrdinalIgnoreCase),
        };
        if (Option("manifest") is { } manifest)
        {
            options.ManifestPath = Path.GetFullPath(manifest);
        }
        if (Option("theme") is { } theme)
        {
            options.ThemeDirectory = Path.GetFullPath(theme);
        }
        if (Option("poll-ms") is { } poll)
        {
            options.PollInterval = TimeSpan.FromMilliseconds(int.Parse(poll, System.Globalization.CultureInfo.InvariantCulture));
        }

        ISitePublisher publisher;
        if (Option("s3-bucket", "HEADLESS_S3_BUCKET") is { } bucket)
        {
            var settings = new S3Settings
            {
                Bucket = bucket,
                Prefix = Option("s3-prefix") ?? "",
                Region = Option("s3-region", "AWS_REGION") ?? "eu-west-1",
                ServiceUrl = Option("s3-service-url"),
                ForcePathStyle = Option("s3-service-url") is not null,
                DistributionId = Option("cloudfront", "HEADLESS_CLOUDFRONT_DISTRIBUTION"),
            };
            var s3Config = S3Publisher.Config(settings);
            var credentials = DefaultAWSCredentialsIdentityResolver.GetCredentials(s3Config);
            var cdn = settings.DistributionId is { } id
                ? new CloudFrontInvalidator(CloudFrontInvalidator.SignedClient(credentials, settings.CloudFrontEndpoint), id)
                : null;
            publisher = new S3Publisher(new AmazonS3Client(credentials, s3Config), settings, cdn);
        }
        else
        {
            publisher = new LocalFolderPublisher(Option("out") ?? Path.Combine(RepoRoot.Path, ".data", "storefront", "site"));
        }

        using var http = new HttpClient { BaseAddress = new Uri(api.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(2) };
        var generator = new SiteGenerator(new HeadlessClient(http), options, publisher, Console.Error)
        {
            Progress = new ProgressBar(Console.Error, !Console.IsErrorRedirected),
        };
        var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

        using var metrics = command == "watch" && Option("metrics-port", "HEADLESS_STOREFRONT_METRICS_PORT") is { } metricsPort
            ? MetricsEndpoint.Serve(int.Parse(metricsPort, System.Globalization.CultureInfo.InvariantCulture))
            : null;
        Console.Error.WriteLine($"Storefront: reading {api}, publishing to {publisher.Describe}.");
        void Report(BuildReport report)
        {
            Console.Error.WriteLine(report.ToString());
            if (report.Runtime is { } runtime)
            {
                Console.Error.WriteLine($"  runtime {runtime}");
            }
            if (report.Timings is { } timings)
            {
                Console.Error.WriteLine($"  timings {timings}");
            }
            foreach (var path in report.Written.Where(p => p.EndsWith(".html", StringComparison.Ordinal)).Take(report.Kind == "full build" ? 0 : 20))
            {
                Console.Error.WriteLine($"  wrote   /{path}");
            }
            foreach (var path in report.Deleted.Take(20))
            {
                Console.Error.WriteLine($"  removed /{path}");
            }
        }
        try
        {
            if (command == "build")
            {
                Report(await generator.BuildAsync(stop.Token));
            }
            else
            {
                await generator.WatchAsync(Report, stop.Token);
            }
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"Could not reach the API at {api}: {e.Message}");
            return 1;
        }
    }
}
