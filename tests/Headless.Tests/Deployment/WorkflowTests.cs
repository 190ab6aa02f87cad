using Headless.Api.Platform.Hosting;
using YamlDotNet.RepresentationModel;

namespace Headless.Tests.Deployment;

/// <summary>
/// The pipeline in .github/workflows, parsed: pull requests build and run ./build.sh test and the Terraform
/// checks; a push to main tests, pushes the image, plans, then deploys the EU and only then the US, each by
/// migrate → apply (blue/green) → smoke test → rollback on failure; AWS is reached through OIDC only.
/// </summary>
public sealed class WorkflowTests
{
    private static readonly string WorkflowsDirectory = Path.Combine(RepoPaths.Root, ".github", "workflows");

    [Fact]
    public void Pull_requests_build_and_run_the_test_suite_and_the_terraform_checks()
    {
        var workflow = Load("pull-request.yml");

        Assert.NotNull(Child(Child(workflow, "on"), "pull_request"));
        Assert.Contains("./build.sh test", Runs(workflow, "test"));
        Assert.Contains("./build.sh compat-check", Runs(workflow, "compat"));
        var terraform = Runs(workflow, "terraform");
        Assert.Contains("terraform fmt -check", terraform);
        Assert.Contains("terraform validate", terraform);
        Assert.Contains("tflint", terraform);
    }

    [Fact]
    public void A_push_to_main_tests_then_pushes_the_image_then_plans_then_deploys_the_EU_then_the_US()
    {
        var workflow = Load("deploy.yml");

        Assert.Equal("main", Scalars(Child(Child(Child(workflow, "on"), "push"), "branches")).Single());
        AssertOrder(workflow, "test", "image", "plan", "deploy-eu", "deploy-us");
        Assert.Contains("./build.sh test", Runs(workflow, "test"));
        var plan = Runs(workflow, "plan");
        foreach (var command in new[] { "terraform fmt -check", "terraform validate", "tflint", "terraform plan" })
        {
            Assert.Contains(command, plan);
        }
        Assert.Contains("docker/build-push-action", Uses(workflow, "image"));
        Assert.Equal("./.github/workflows/deploy-region.yml", Scalar(Child(Job(workflow, "deploy-eu"), "uses")));
        Assert.Equal("./.github/workflows/deploy-region.yml", Scalar(Child(Job(workflow, "deploy-us"), "uses")));
    }

    [Fact]
    public void A_region_is_migrated_then_applied_then_smoke_tested_and_rolled_back_on_failure()
    {
        var workflow = Load("deploy-region.yml");

        AssertOrder(workflow, "migrate", "apply", "smoke");
        Assert.Contains("aws ecs run-task", Runs(workflow, "migrate"));
        Assert.Contains("terraform apply", Runs(workflow, "apply"));
        Assert.Contains("X-Headless-Test-Traffic", Scalar(Child(Child(Job(workflow, "smoke"), "env"), "HEADER")));
        var rollback = Job(workflow, "rollback");
        Assert.Equal(["apply", "smoke"], Needs(workflow, "rollback").Order());
        Assert.Contains("failure()", Scalar(Child(rollback, "if")));
        Assert.Contains("--stop-type ROLLBACK", Runs(workflow, "rollback"));
    }

    [Fact]
    public void AWS_is_reached_through_OIDC_with_no_stored_keys()
    {
        foreach (var file in Directory.GetFiles(WorkflowsDirectory, "*.yml"))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("aws-access-key-id", text);
            Assert.DoesNotContain("AWS_SECRET_ACCESS_KEY", text);
            if (text.Contains("configure-aws-credentials", StringComparison.Ordinal))
            {
                Assert.Contains("role-to-assume", text);
                Assert.Equal("write", Scalar(Child(Child(Load(Path.GetFileName(file)), "permissions"), "id-token")));
            }
        }
    }

    [Fact]
    public void Every_needs_names_a_job_of_its_workflow_and_no_workflow_loops()
    {
        foreach (var file in Directory.GetFiles(WorkflowsDirectory, "*.yml"))
        {
            var workflow = Load(Path.GetFileName(file));
            var jobs = Jobs(workflow).Keys.ToHashSet();
            foreach (var job in jobs)
            {
                Assert.All(Needs(workflow, job), needed => Assert.Contains(needed, jobs));
            }
            Assert.Equal(jobs.Count, TopologicalOrder(workflow).Count);
        }
    }

    /// <summary>Each job needs the one before it, directly.</summary>
    private static void AssertOrder(YamlMappingNode workflow, params string[] order)
    {
        for (var i = 1; i < order.Length; i++)
        {
            Assert.Contains(order[i - 1], Needs(workflow, order[i]));
        }
        var topological = TopologicalOrder(workflow);
        Assert.Equal(order, topological.Where(order.Contains));
    }

    private static List<string> TopologicalOrder(YamlMappingNode workflow)
    {
        var remaining = Jobs(workflow).Keys.ToDictionary(job => job, job => Needs(workflow, job).ToHashSet());
        var order = new List<string>();
        while (remaining.FirstOrDefault(job => job.Value.All(order.Contains)) is { Key: not null } ready)
        {
            order.Add(ready.Key);
            remaining.Remove(ready.Key);
        }
        return order;
    }

    private static YamlMappingNode Load(string name)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(WorkflowsDirectory, name))));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static Dictionary<string, YamlMappingNode> Jobs(YamlMappingNode workflow) =>
        ((YamlMappingNode)Child(workflow, "jobs")!).Children.ToDictionary(job => Scalar(job.Key), job => (YamlMappingNode)job.Value);

    private static YamlMappingNode Job(YamlMappingNode workflow, string name) =>
        Jobs(workflow).TryGetValue(name, out var job) ? job : throw new Xunit.Sdk.XunitException($"no job {name}");

    private static List<string> Needs(YamlMappingNode workflow, string job) => Child(Job(workflow, job), "needs") switch
    {
        null => [],
        YamlScalarNode one => [one.Value!],
        var many => Scalars(many),
    };

    /// <summary>All run: scripts of a job's steps, joined.</summary>
    private static string Runs(YamlMappingNode workflow, string job) => string.Join('\n', Steps(workflow, job).Select(step => Child(step, "run")).OfType<YamlScalarNode>().Select(run => run.Value));

    private static string Uses(YamlMappingNode workflow, string job) => string.Join('\n', Steps(workflow, job).Select(step => Child(step, "uses")).OfType<YamlScalarNode>().Select(uses => uses.Value));

    private static IEnumerable<YamlMappingNode> Steps(YamlMappingNode workflow, string job) =>
        ((YamlSequenceNode?)Child(Job(workflow, job), "steps"))?.Children.Cast<YamlMappingNode>() ?? [];

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string Scalar(YamlNode? node) => node is YamlScalarNode scalar ? scalar.Value ?? "" : "";

    private static List<string> Scalars(YamlNode? node) => node is YamlSequenceNode sequence ? sequence.Children.Select(Scalar).ToList() : [];
}
