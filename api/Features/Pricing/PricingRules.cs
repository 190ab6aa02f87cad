using Dapper;
using Npgsql;

namespace Headless.Api.Features.Pricing;

/// <summary>Shipping methods, their rates and tax rates: small tables read on every cart view, so they
/// are held in memory and reloaded when the outbox says they changed (see CatalogChangeListener).</summary>
public sealed class PricingRules(NpgsqlDataSource db)
{
    private volatile Task<Snapshot>? _current;

    public Task<Snapshot> GetAsync(CancellationToken ct)
    {
        var current = _current;
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            current = LoadAsync(ct);
            _current = current;
        }
        return current;
    }

    public void Invalidate() => _current = null;

    private async Task<Snapshot> LoadAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var methods = (await conn.QueryAsync<MethodRow>(
            "select id, code, name, active, position, version from shipping_methods order by position, code")).ToList();
        var rates = (await conn.QueryAsync<RateRow>(
            "select method_id, countries, min_weight_grams, max_weight_grams, amount from shipping_rates order by method_id, min_weight_grams")).ToList();
        var taxes = (await conn.QueryAsync<TaxRow>(
            "select country, region, rate_basis_points, prices_include_tax, version from tax_rates order by country, region")).ToList();
        return new Snapshot(methods, rates.ToLookup(r => r.MethodId), taxes);
    }

    public sealed class Snapshot(IReadOnlyList<MethodRow> methods, ILookup<Guid, RateRow> rates, IReadOnlyList<TaxRow> taxes)
    {
        public IReadOnlyList<MethodRow> Methods => methods;
        public ILookup<Guid, RateRow> Rates => rates;
        public IReadOnlyList<TaxRow> Taxes => taxes;

        /// <summary>Active methods that ship a parcel of this weight to this country, with their price.</summary>
        public IEnumerable<(MethodRow Method, long Amount)> OptionsFor(string country, int weightGrams)
        {
            foreach (var method in methods.Where(m => m.Active))
            {
                var methodRates = rates[method.Id].ToList();
                var named = methodRates.Where(r => r.Countries.Contains(country, StringComparer.Ordinal)).ToList();
                var candidates = named.Count > 0 ? named : methodRates.Where(r => r.Countries.Length == 0 && !methodRates.Any(o => o.Countries.Contains(country, StringComparer.Ordinal))).ToList();
                var rate = candidates.FirstOrDefault(r => weightGrams >= r.MinWeightGrams && (r.MaxWeightGrams is null || weightGrams < r.MaxWeightGrams));
                if (rate is not null)
                {
                    yield return (method, rate.Amount);
                }
            }
        }

        /// <summary>The regional rate where one exists (a US state), else the country's; none means no tax
        /// is charged and prices are net.</summary>
        public TaxRow? TaxFor(string country, string? region) =>
            (string.IsNullOrEmpty(region) ? null : taxes.FirstOrDefault(t => t.Country == country && t.Region == region))
            ?? taxes.FirstOrDefault(t => t.Country == country && t.Region == "");
    }

    public sealed class MethodRow
    {
        public Guid Id { get; init; }
        public string Code { get; init; } = "";
        public string Name { get; init; } = "";
        public bool Active { get; init; }
        public int Position { get; init; }
        public int Version { get; init; }
    }

    public sealed class RateRow
    {
        public Guid MethodId { get; init; }
        public string[] Countries { get; init; } = [];
        public int MinWeightGrams { get; init; }
        public int? MaxWeightGrams { get; init; }
        public long Amount { get; init; }
    }

    public sealed class TaxRow
    {
        public string Country { get; init; } = "";
        public string Region { get; init; } = "";
        public int RateBasisPoints { get; init; }
        public bool PricesIncludeTax { get; init; }
        public int Version { get; init; }
    }
}
