using System.Text.Json;
using Headless.Api.Platform.Hosting;

namespace Headless.Tests.Deployment;

/// <summary>
/// No Terraform binary can be installed here, so infra-terraform/tests/check.mjs parses every .tf file with
/// HashiCorp's HCL parser (npm @cdktf/hcl2json) and checks references, types and descriptions, pinned versions,
/// state locking and the checkov-like policy rules. The real stacks must pass; every rule has a fixture that
/// breaks it, so a rule that silently stops finding anything fails here.
/// </summary>
public sealed class TerraformChecksTests
{
    private static readonly string FixturesDirectory = Path.Combine(RepoPaths.Root, "infra-terraform", "tests", "fixtures");

    [Fact]
    public async Task The_EU_and_US_stacks_and_their_modules_pass_every_check()
    {
        var result = await CheckAsync();

        Assert.Empty(result.Findings);
        Assert.Contains(result.Modules, module => module.EndsWith("environments/eu", StringComparison.Ordinal));
        Assert.Contains(result.Modules, module => module.EndsWith("environments/us", StringComparison.Ordinal));
        foreach (var module in new[] { "network", "database", "app", "edge", "search", "observability", "cost" })
        {
            Assert.Contains(result.Modules, checkedModule => checkedModule.EndsWith($"modules/{module}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Every_rule_has_a_failing_fixture()
    {
        var run = await ProcessRun.RunAsync("node", ["infra-terraform/tests/check.mjs", "--rules"], TimeSpan.FromMinutes(1));
        var rules = JsonSerializer.Deserialize<string[]>(run.Output)!;

        Assert.NotEmpty(rules);
        Assert.Equal(rules.Order(), Directory.GetDirectories(FixturesDirectory).Select(Path.GetFileName).Order());
    }

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var directory in Directory.GetDirectories(FixturesDirectory).Order())
        {
            data.Add(Path.GetFileName(directory));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task A_fixture_breaking_a_rule_is_caught_by_that_rule_alone(string rule)
    {
        var result = await CheckAsync(Path.Combine("infra-terraform", "tests", "fixtures", rule));

        Assert.NotEmpty(result.Findings);
        Assert.All(result.Findings, finding => Assert.Equal(rule, finding.Rule));
    }

    private static async Task<CheckResult> CheckAsync(params string[] directory)
    {
        var run = await ProcessRun.RunAsync("node", ["infra-terraform/tests/check.mjs", "--json", .. directory], TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode is 0 or 1, $"check.mjs failed (is node_modules installed? run `npm ci`): {run.Errors}");
        var result = JsonSerializer.Deserialize<CheckResult>(run.Output, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal(result.Findings.Count == 0 ? 0 : 1, run.ExitCode);
        return result;
    }

    private sealed record CheckResult(IReadOnlyList<string> Modules, IReadOnlyList<Finding> Findings);

    private sealed record Finding(string Rule, string File, string Message);
}
