using System.Diagnostics;
using System.Globalization;
using System.Text;
using Headless.Api.Platform.Hosting;

namespace Headless.Drill;

public sealed record FailoverDrillOptions(int Seconds, int Shoppers, int Instances, int BasePort, string Directory);

/// <summary>
/// The standby failover drill (<c>./build.sh failover-drill</c>): the cluster topology (DrillCluster: the
/// instances hold a multi-host connection string) under steady checkout load; then the primary is killed
/// with SIGKILL, the hot standby promoted (<c>pg_ctl promote</c>), and the instances' pools find it on their
/// own. RPO: orders the API confirmed (201) that the promoted standby does not have, and the seconds of
/// confirmations they span. RTO: from the kill to the first checkout confirmed again.
/// </summary>
public sealed class FailoverDrill(FailoverDrillOptions options, TextWriter log)
{
    private readonly StepLog _steps = new(log);

    private void Step(string message) => _steps.Step(message);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        Step($"Failover drill: {options.Instances} web instances + 1 worker behind HAProxy, primary + streaming standby, in {options.Directory} (ports {options.BasePort}+).");
        await using var cluster = await DrillCluster.StartAsync(options.Directory, options.BasePort, options.Instances, new Dictionary<string, string>
        {
            ["Headless__Catalog__DemoProductCount"] = "200",
            ["Headless__Storefront__SiteDirectory"] = Path.Combine(options.Directory, "site"),
        }, new Indented(log), ct);
        var skus = await CheckoutShoppers.SkusAsync(cluster.Logins.Owner, ct);
        var shoppers = new CheckoutShoppers(cluster.Balancer.Url, skus);
        using var stopShopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Step($"Cluster up. {options.Shoppers} shoppers check out through {cluster.Balancer.Url} for {options.Seconds} s ...");
        var shopping = shoppers.RunAsync(options.Shoppers, stopShopping.Token);
        var load = Stopwatch.StartNew();
        while (load.Elapsed < TimeSpan.FromSeconds(options.Seconds))
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, options.Seconds)), ct);
            Step($"  {shoppers.Confirmed.Count:N0} orders confirmed ({shoppers.Confirmed.Count / load.Elapsed.TotalSeconds:F1}/s); refused: {shoppers.Refusals}");
        }
        var lagBytes = await cluster.ReplicaLagBytesAsync(ct);
        var refusedBefore = shoppers.Refusals;

        // The failure: the primary's machine dies while shoppers are checking out.
        var kill = DateTimeOffset.UtcNow;
        ProcessTree.Kill(ProcessTree.PostmasterPid(cluster.Primary.DataDirectory));
        Step($"FAILURE: primary killed with SIGKILL (standby replay lag just before: {lagBytes:N0} bytes). Promoting the standby ...");
        var promote = Stopwatch.StartNew();
        await cluster.Standby.PromoteAsync(ct);
        promote.Stop();
        Step($"Standby promoted in {promote.Elapsed.TotalSeconds:F1} s; waiting for a confirmed checkout ...");
        var again = await shoppers.NextConfirmationAfterAsync(kill, TimeSpan.FromSeconds(180), ct);
        if (again is not null)
        {
            Step($"Checkouts confirmed again {(again.Value - kill).TotalSeconds:F1} s after the kill; 10 s more load ...");
            await Task.Delay(TimeSpan.FromSeconds(10), ct);
        }
        await stopShopping.CancelAsync();
        await shopping;

        var orders = shoppers.Confirmed.ToList();
        var beforeKill = orders.Where(o => o.ConfirmedAt <= kill).ToList();
        var found = await CheckoutShoppers.FoundAsync(cluster.StandbyConnectionString, orders, ct);
        var lost = orders.Where(o => !found.Contains(o.Number)).OrderBy(o => o.ConfirmedAt).ToList();
        var lossSeconds = lost.Count == 0 ? 0 : (kill - lost[0].ConfirmedAt).TotalSeconds;
        var rto = again is { } a ? $"{(a - kill).TotalSeconds:F1} s from the kill to the first checkout confirmed again (promotion {promote.Elapsed.TotalSeconds:F1} s)" : "not recovered within 180 s";
        var result = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Failover drill {started:yyyy-MM-dd HH:mm} UTC: {options.Instances} web + 1 worker behind HAProxy, {options.Shoppers} checkout shoppers, {options.Seconds} s of load before the kill.")
            .AppendLine(CultureInfo.InvariantCulture, $"Orders confirmed: {beforeKill.Count:N0} before the kill (refused before it: {refusedBefore}), {orders.Count - beforeKill.Count:N0} after; refused over the whole run: {shoppers.Refusals}.")
            .AppendLine(CultureInfo.InvariantCulture, $"RPO: {lost.Count:N0} confirmed orders lost; {lossSeconds:F1} s of confirmations lost (asynchronous streaming replication; replay lag before the kill {lagBytes:N0} bytes).")
            .AppendLine(CultureInfo.InvariantCulture, $"RTO: {rto}.")
            .ToString();
        var resultFile = Path.Combine(RepoPaths.Data, "drill", "failover-result.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(resultFile)!);
        await File.WriteAllTextAsync(resultFile, result, ct);
        log.Write(result);
        return lost.Count == 0 && again is not null ? 0 : 3;
    }
}
