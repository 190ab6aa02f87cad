namespace Headless.Drills;

/// <summary>A drill that cannot run (missing tool, bad option): said plainly, exit code 1.</summary>
public sealed class DrillError(string message) : Exception(message);
