using Dapper;
using Npgsql;

namespace Headless.Api.Features.Demo;

/// <summary>Pricing rules for the demo shop, so a fresh `run` can quote shipping and tax and take an
/// order: EU VAT (prices include it), UK VAT, US sales tax by state (added at checkout), standard and
/// express shipping by weight, and the WELCOME10 code. Loaded once, when no shipping method exists.</summary>
public static class DemoPricing
{
    private const string Sql = """
        insert into shipping_methods (id, code, name, position) values
            ('0193a000-0000-7000-8000-000000000001', 'standard', 'Standard (3–5 days)', 1),
            ('0193a000-0000-7000-8000-000000000002', 'express', 'Express (1–2 days)', 2);

        insert into shipping_rates (id, method_id, countries, min_weight_grams, max_weight_grams, amount)
        select gen_random_uuid(), m.id, r.countries, r.min_weight, r.max_weight, r.amount
        from (values
            ('standard', array['DE','AT','NL','BE','FR','LU','DK','PL','CZ']::text[], 0, 2000, 490),
            ('standard', array['DE','AT','NL','BE','FR','LU','DK','PL','CZ']::text[], 2000, null, 890),
            ('standard', array['IT','ES','PT','IE','SE','FI','GB','CH','NO']::text[], 0, 2000, 990),
            ('standard', array['IT','ES','PT','IE','SE','FI','GB','CH','NO']::text[], 2000, null, 1690),
            ('standard', array[]::text[], 0, 2000, 1990),
            ('standard', array[]::text[], 2000, null, 3490),
            ('express', array['DE','AT','NL','BE','FR','LU','DK']::text[], 0, null, 1490),
            ('express', array['US','CA','GB','CH']::text[], 0, null, 3990)
        ) as r(code, countries, min_weight, max_weight, amount)
        join shipping_methods m on m.code = r.code;

        insert into tax_rates (country, region, rate_basis_points, prices_include_tax) values
            ('DE', '', 1900, true), ('AT', '', 2000, true), ('NL', '', 2100, true), ('BE', '', 2100, true),
            ('FR', '', 2000, true), ('LU', '', 1700, true), ('DK', '', 2500, true), ('PL', '', 2300, true),
            ('CZ', '', 2100, true), ('IT', '', 2200, true), ('ES', '', 2100, true), ('PT', '', 2300, true),
            ('IE', '', 2300, true), ('SE', '', 2500, true), ('FI', '', 2550, true), ('GB', '', 2000, true),
            ('CH', '', 810, true), ('NO', '', 2500, true),
            ('US', '', 0, false), ('US', 'CA', 725, false), ('US', 'NY', 400, false), ('US', 'TX', 625, false),
            ('US', 'WA', 650, false), ('US', 'IL', 625, false), ('US', 'FL', 600, false),
            ('CA', '', 500, false), ('CA', 'ON', 1300, false), ('CA', 'QC', 1498, false);

        insert into discount_codes (id, code, kind, value, currency, min_subtotal)
        values ('0193a000-0000-7000-8000-0000000000d1', 'WELCOME10', 'percentage', 1000, @currency, 2000);
        """;

    public static async Task<bool> LoadAsync(NpgsqlDataSource db, string currency, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("lock table shipping_methods in exclusive mode", transaction: tx);
        if (await conn.ExecuteScalarAsync<bool>("select exists (select 1 from shipping_methods)", transaction: tx))
        {
            return false;
        }
        await conn.ExecuteAsync(Sql, new { currency }, tx);
        await conn.ExecuteAsync("insert into outbox (topic, aggregate_type, aggregate_id) values ('pricing.loaded', 'pricing', 'demo')", transaction: tx);
        await tx.CommitAsync(ct);
        return true;
    }
}
