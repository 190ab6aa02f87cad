using Headless.Api.Platform.Hosting;

namespace Headless.Tests.Payments;

/// <summary>A fact that needs a file from <c>../shared</c> (beside the project root): reported as skipped,
/// with the reason, when that file is absent, since the project holds no copy of those files.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedReferenceFactAttribute : FactAttribute
{
    public SharedReferenceFactAttribute(string relativePath)
    {
        RelativePath = relativePath;
        if (!File.Exists(SharedReference.PathOf(relativePath)))
        {
            Skip = $"../shared/{relativePath} is absent ({SharedReference.PathOf(relativePath)}): the shared reference files sit beside the project, not in it.";
        }
    }

    public string RelativePath { get; }
}

public static class SharedReference
{
    public const string StripeFixtures = "reference/stripe/fixtures3.json";

    /// <summary>The shared folder: ../shared from the project root.</summary>
    public static string Root => Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared"));

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public static bool Exists(string relativePath) => File.Exists(PathOf(relativePath));
}
