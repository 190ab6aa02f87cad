using System.Text.RegularExpressions;
using Headless.Api.Platform.Hosting;

namespace Headless.Tests.Deployment;

/// <summary>The Dockerfile, parsed: a build stage on the .NET SDK that publishes the API, a final stage on the
/// ASP.NET runtime image that runs as a non-root user, checks its health, writes only to the /tmp volume and
/// takes no secret from the build.</summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = Instructions(File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile")));

    [Fact]
    public void The_build_stage_publishes_the_API_on_the_SDK_image()
    {
        var stages = Stages();
        var build = stages.Single(stage => stage[0].Contains("mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal));
        Assert.Contains(build, line => line.StartsWith("RUN dotnet publish api/Headless.Api.csproj", StringComparison.Ordinal));
        Assert.True(stages.Count >= 2, "multi-stage: build and runtime");
    }

    [Fact]
    public void The_final_stage_runs_the_API_on_the_runtime_image_as_a_non_root_user_with_a_health_check()
    {
        var final = Stages()[^1];

        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", final[0], StringComparison.Ordinal);
        var user = final.Last(line => line.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Trim();
        Assert.DoesNotMatch(@"^(root|0)(:.*)?$", user);
        var healthCheck = Assert.Single(final, line => line.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        Assert.Matches("/health/(live|ready)", healthCheck);
        Assert.Contains(final, line => line == """ENTRYPOINT ["dotnet", "Headless.Api.dll"]""");
        Assert.Contains(final, line => line.StartsWith("VOLUME", StringComparison.Ordinal) && line.Contains("/tmp", StringComparison.Ordinal));
        Assert.Contains(final, line => line.StartsWith("COPY --from=build", StringComparison.Ordinal));
        // appsettings.json binds to loopback through Urls; the image must override that very key to be reachable.
        Assert.Contains(final, line => line.StartsWith("ENV ", StringComparison.Ordinal) && line.Contains("Urls=http://+:8080", StringComparison.Ordinal));
        Assert.Contains("EXPOSE 8080", final);
    }

    [Fact]
    public void The_image_bakes_in_no_secret_and_no_database()
    {
        var environment = string.Join('\n', Lines.Where(line => line.StartsWith("ENV ", StringComparison.Ordinal) || line.StartsWith("ARG ", StringComparison.Ordinal)));

        foreach (var secret in new[] { "Password", "Secret", "ConnectionString", "ApiKey", "PrivateKey", "KmsKeyId" })
        {
            Assert.DoesNotContain(secret, environment, StringComparison.OrdinalIgnoreCase);
        }
        var writablePaths = WritableSetting().Matches(environment).Select(match => match.Groups["path"].Value);
        Assert.All(writablePaths, path => Assert.StartsWith("/tmp/", path, StringComparison.Ordinal));
    }

    [Fact]
    public void The_build_context_leaves_out_history_local_data_and_build_output()
    {
        var ignored = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore")).Select(line => line.Trim()).ToHashSet();

        foreach (var path in new[] { ".git/", ".data/", "**/node_modules/", "**/bin/", "**/obj/" })
        {
            Assert.Contains(path, ignored);
        }
    }

    private static List<List<string>> Stages()
    {
        var stages = new List<List<string>>();
        foreach (var line in Lines)
        {
            if (line.StartsWith("FROM ", StringComparison.Ordinal))
            {
                stages.Add([Regex.Replace(line, @"--platform=\S+ ", "")]);
            }
            else if (stages.Count > 0)
            {
                stages[^1].Add(line);
            }
        }
        return stages;
    }

    /// <summary>Instructions with their continuation lines joined and comments dropped.</summary>
    private static string[] Instructions(string dockerfile) => Continuation().Replace(dockerfile, " ")
        .Split('\n')
        .Select(line => line.Trim())
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .ToArray();

    [GeneratedRegex(@"\\\r?\n\s*")]
    private static partial Regex Continuation();

    // The settings that name a folder the API writes to.
    [GeneratedRegex(@"Headless__(Storefront__SiteDirectory|ObjectStore__Directory|Email__PickupDirectory)=(?<path>\S+)")]
    private static partial Regex WritableSetting();
}
