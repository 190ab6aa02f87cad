using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Headless.Tests.Commerce;

/// <summary>What kept add to cart at a fraction of its rate on the bench (docs/benchmarks.md, "Add to cart: the 4×
/// regression was a plan"): how the cart's statements are planned, checked without timing anything.</summary>
public sealed class CartStatementTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    // The cart read joins variants on `v.sku = l.sku`. A trigram index on the bare sku column answers `=` too, and
    // for a value the planner cannot see GIN's estimate counts one trigram, so plans took it over the unique b-tree
    // (~370 pages per line on the bench catalog instead of 4). Migration 0039 indexes lower(sku) instead.
    [Fact]
    public async Task Only_the_unique_btree_can_answer_an_equality_on_a_sku()
    {
        await using var conn = await factory.Db.OpenConnectionAsync();
        var indexes = (await conn.QueryAsync<(string Name, string Method)>("""
            select i.relname, am.amname
            from pg_index x
            join pg_class i on i.oid = x.indexrelid
            join pg_am am on am.oid = i.relam
            join pg_attribute a on a.attrelid = x.indrelid and a.attnum = any (x.indkey::int2[])
            where x.indrelid in ('variants'::regclass, 'inventory'::regclass) and a.attname = 'sku' and am.amname <> 'btree'
            """)).ToList();
        Assert.Empty(indexes);
    }

    // Npgsql prepares a statement after its fifth use on a connection, and PostgreSQL switches a prepared statement
    // to its generic plan after five custom ones: past that, an add plans nothing. Statements that are never
    // prepared (more distinct statements than MaxAutoPrepare, parameter types that change from call to call) or
    // that stay on custom plans are planned on every add.
    [Fact]
    public async Task Repeated_adds_run_the_add_and_the_cart_read_as_prepared_generic_plans()
    {
        var sku = await Shop.SkuAsync(factory.Admin(), stock: 1000);
        var shopper = factory.CreateClient();
        var cart = await Shop.NewCartAsync(shopper);
        // Requests take the pool's idle connections in turn, so each of a handful of connections sees a dozen or more adds.
        for (var i = 0; i < 100; i++)
        {
            (await shopper.PostAsJsonAsync($"/api/v1/carts/{cart.Token}/lines", new AddCartLineRequest(sku, 1), Http.Json)).EnsureSuccessStatusCode();
        }

        var prepared = new List<(string Statement, long GenericPlans, long CustomPlans)>();
        var held = new List<NpgsqlConnection>();
        var api = factory.Services.GetRequiredService<NpgsqlDataSource>();
        try
        {
            // Held open together, so each open takes another of the pool's connections.
            for (var i = 0; i < 8; i++)
            {
                var conn = await api.OpenConnectionAsync();
                held.Add(conn);
                prepared.AddRange(await conn.QueryAsync<(string, long, long)>("select statement, generic_plans, custom_plans from pg_prepared_statements"));
            }
        }
        finally
        {
            foreach (var conn in held)
            {
                await conn.DisposeAsync();
            }
        }

        Assert.Contains(prepared, s => s.Statement.StartsWith("with cart as materialized", StringComparison.Ordinal) && s.GenericPlans > 0);
        Assert.Contains(prepared, s => s.Statement.Contains("join cart_lines l on l.cart_id = c.id", StringComparison.Ordinal) && s.GenericPlans > 0);
        Assert.DoesNotContain(prepared, s => s.Statement.StartsWith("with cart as materialized", StringComparison.Ordinal) && s.CustomPlans > 5);
    }
}
