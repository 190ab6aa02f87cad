using System.Text.Json;
using System.Xml.Linq;
using Headless.Api.Platform.Hosting;

namespace Headless.Tests.Samples;

/// <summary>
/// `./build.sh sdk-pack` packs and installs both client packages (minutes on a busy machine, so it is its own
/// target, not part of `test`). These check what it packs from: the metadata a consumer sees.
/// </summary>
public sealed class SdkPackageMetadataTests
{
    private static string Read(string path) => File.ReadAllText(Path.Combine(RepoPaths.Root, path));

    [Fact]
    public void The_nuget_package_is_Headless_Client_with_its_readme_license_and_xml_docs()
    {
        var project = XDocument.Parse(Read("sdk/csharp/Headless.Sdk.csproj"));
        string Property(string name) => project.Descendants(name).Single().Value;
        Assert.Equal("Headless.Client", Property("PackageId"));
        Assert.Equal("MIT", Property("PackageLicenseExpression"));
        Assert.Equal("true", Property("GenerateDocumentationFile"));
        Assert.Equal("README.md", Property("PackageReadmeFile"));
        Assert.Contains(project.Descendants("None"), n => (string?)n.Attribute("Include") == "README.md" && (string?)n.Attribute("Pack") == "true");
        Assert.Empty(project.Descendants("Version")); // the version is the API's, passed by sdk-pack

        var readme = Read("sdk/csharp/README.md");
        Assert.Contains("dotnet add package Headless.Client", readme);
        Assert.Contains("new HeadlessClient(http)", readme);
        // The XML docs ship beside the assembly (the package takes them from there).
        Assert.True(File.Exists(Path.ChangeExtension(typeof(Headless.Sdk.HeadlessClient).Assembly.Location, ".xml")));
    }

    [Fact]
    public void The_npm_package_is_an_es_module_with_declarations_behind_an_exports_map()
    {
        using var manifest = JsonDocument.Parse(Read("sdk/typescript/package/package.json"));
        var root = manifest.RootElement;
        Assert.Equal("@headless/client", root.GetProperty("name").GetString());
        Assert.Equal("module", root.GetProperty("type").GetString());
        Assert.Equal("MIT", root.GetProperty("license").GetString());
        var main = root.GetProperty("exports").GetProperty(".");
        Assert.Equal("./dist/headless-client.d.ts", main.GetProperty("types").GetString());
        Assert.Equal("./dist/headless-client.js", main.GetProperty("import").GetString());
        Assert.Contains("dist", root.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.False(root.TryGetProperty("dependencies", out _)); // installs offline: nothing to fetch

        var pack = Read("sdk/typescript/tsconfig.pack.json");
        Assert.Contains("\"declaration\": true", pack);
        Assert.Contains("\"noEmit\": false", pack);
        Assert.Contains("npm install @headless/client", Read("sdk/typescript/package/README.md"));
    }

    [Fact]
    public void Both_packages_take_the_api_version_from_openapi_yaml()
    {
        var cake = Read("build.cake");
        Assert.Contains("-p:Version={version}", cake);
        Assert.Contains("manifest[\"version\"] = version;", cake);
        var info = Read("openapi.yaml").Split('\n').SkipWhile(l => l != "info:").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal));
        Assert.Matches(@"^\d+\.\d+\.\d+", Assert.Single(info, l => l.StartsWith("  version:", StringComparison.Ordinal))["  version:".Length..].Trim());
    }
}
