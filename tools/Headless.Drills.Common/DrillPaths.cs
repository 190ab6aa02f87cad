using Headless.Api.Platform.Hosting;

namespace Headless.Drills;

public static class DrillPaths
{
    /// <summary>The API the drills run: the Release build (`./build.sh drill` and `dr-drill` build it first).</summary>
    public static string ReleaseApiDll => Path.Combine(RepoPaths.Root, "api", "bin", "Release", "net10.0", "Headless.Api.dll");
}
