using System.Text.RegularExpressions;
using Headless.Api.Platform.Hosting;
using YamlDotNet.RepresentationModel;

namespace Headless.Tests.Operations;

/// <summary>The alert rules in ops/prometheus: valid for Prometheus, unit-tested by promtool (each alert
/// fires on bad data and stays quiet on healthy data), and each runbook link lands on a section of
/// docs/operations.md.</summary>
public sealed partial class AlertRulesTests
{
    public static readonly string[] Alerts =
    [
        "HeadlessHighErrorRatio", "HeadlessHighLatencyP99", "HeadlessCheckoutFailureRatio", "HeadlessPaymentProviderErrors",
        "HeadlessOutboxLag", "HeadlessOutboxDeadLetters", "HeadlessDatabasePoolSaturation", "HeadlessReplicaLag", "HeadlessDiskFilling",
        "HeadlessStorefrontPublishLag",
    ];

    private static string Folder => Path.Combine(RepoPaths.Root, "ops", "prometheus");

    [PromtoolFact]
    public async Task Promtool_accepts_the_rules_and_their_unit_tests_pass()
    {
        var (checkExit, check) = await Promtool.RunAsync("check rules alerts.yml", workingDirectory: Folder);
        Assert.True(checkExit == 0, check);
        var (testExit, test) = await Promtool.RunAsync("test rules alerts.test.yml", workingDirectory: Folder);
        Assert.True(testExit == 0, test);
    }

    [Fact]
    public void Every_alert_is_defined_with_severity_summary_and_a_runbook_that_exists_in_operations_md()
    {
        var rules = Load("alerts.yml")["groups"].AllNodes.OfType<YamlMappingNode>()
            .Where(n => n.Children.ContainsKey("alert"))
            .ToDictionary(n => n["alert"].ToString(), n => n, StringComparer.Ordinal);
        Assert.Equal(Alerts.Order(StringComparer.Ordinal), rules.Keys.Order(StringComparer.Ordinal));
        var anchors = Anchors(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "operations.md")));
        foreach (var (name, rule) in rules)
        {
            Assert.Contains(((YamlMappingNode)rule["labels"])["severity"].ToString(), new[] { "critical", "warning" });
            var annotations = (YamlMappingNode)rule["annotations"];
            Assert.False(string.IsNullOrWhiteSpace(annotations["summary"].ToString()), $"{name} has no summary");
            var runbook = annotations["runbook_url"].ToString();
            var anchor = runbook[(runbook.IndexOf('#', StringComparison.Ordinal) + 1)..];
            Assert.True(anchors.Contains(anchor), $"{name}'s runbook anchor #{anchor} is not a heading in docs/operations.md");
        }
    }

    [Fact]
    public void Every_alert_has_a_firing_and_a_quiet_case_in_the_unit_tests()
    {
        var cases = Load("alerts.test.yml")["tests"].AllNodes.OfType<YamlMappingNode>()
            .Where(n => n.Children.ContainsKey("alertname"))
            .Select(n => (Alert: n["alertname"].ToString(), Fires: ((YamlSequenceNode)n["exp_alerts"]).Children.Count > 0))
            .ToList();
        foreach (var alert in Alerts)
        {
            Assert.True(cases.Contains((alert, true)), $"{alert} is never shown to fire");
            Assert.True(cases.Contains((alert, false)), $"{alert} is never shown to stay quiet");
        }
    }

    private static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Folder, file));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.</summary>
    private static HashSet<string> Anchors(string markdown) =>
        Heading().Matches(markdown)
            .Select(m => NotSlug().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"(?m)^#{1,6} (.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^a-z0-9 _-]")]
    private static partial Regex NotSlug();
}

/// <summary>A fact that needs promtool (Debian `prometheus`; `./build.sh ensure-prometheus` installs it) and
/// skips, saying so, where it is missing.</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (!File.Exists(Promtool.Path))
        {
            Skip = $"{Promtool.Path} is missing: `./build.sh ensure-prometheus` installs Debian's prometheus package (apt could not, or was not run).";
        }
    }
}
