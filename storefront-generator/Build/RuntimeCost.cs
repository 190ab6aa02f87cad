namespace Headless.Storefront.Build;

/// <summary>
/// What the runtime did between two points of one process: garbage collections by generation, the time the GC
/// paused every thread, and bytes allocated (all threads). Logged beside each rebuild and each sitemap/feed rewrite,
/// so a slow rebuild can be told apart as waiting on the GC (pauses) or on the CPU (none) on a shared machine.
/// </summary>
public readonly record struct RuntimeCost(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated)
{
    public static RuntimeCost Now() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    public RuntimeCost Since(RuntimeCost start) =>
        new(Gen0 - start.Gen0, Gen1 - start.Gen1, Gen2 - start.Gen2, Paused - start.Paused, Allocated - start.Allocated);

    public override string ToString() =>
        $"collections gen0/1/2 {Gen0}/{Gen1}/{Gen2}, GC pauses {Paused.TotalMilliseconds:N0} ms, {Allocated / 1048576.0:N1} MiB allocated";
}
