using System.Text.RegularExpressions;
using Headless.Api.Platform.Hosting;

namespace Headless.Tests.Deployment;

/// <summary>
/// Blue and green share one database while a deployment bakes, so a migration must never take away what the
/// previous release reads or writes: no DROP TABLE/COLUMN/VIEW, RENAME, ALTER … TYPE or SET NOT NULL unless
/// migration-contractions.txt has a reviewed entry naming the release since which nothing uses it.
/// </summary>
public sealed partial class ExpandThenContractTests
{
    private static readonly string MigrationsDirectory = Path.Combine(RepoPaths.Root, "api", "Platform", "Database", "Migrations");
    private static readonly string AllowListPath = Path.Combine(RepoPaths.Root, "tests", "Headless.Tests", "Deployment", "migration-contractions.txt");

    [Fact]
    public void Every_contracting_statement_in_the_migrations_has_a_reviewed_allow_list_entry()
    {
        var allowed = AllowList();
        var unreviewed = Directory.GetFiles(MigrationsDirectory, "*.sql").Order()
            .SelectMany(file => Contractions(File.ReadAllText(file)).Select(statement => (Migration: Path.GetFileName(file), Statement: statement)))
            .Where(found => !allowed.Any(entry => entry.Migration == found.Migration && entry.Statement == found.Statement))
            .Select(found => $"{found.Migration}: {found.Statement}")
            .ToList();

        Assert.True(unreviewed.Count == 0,
            "These statements take away something the running release may still read or write (blue and green share the database). "
            + "Expand first and contract in a later release, or add a reviewed entry to tests/Headless.Tests/Deployment/migration-contractions.txt "
            + "naming the release since which nothing uses it:\n  " + string.Join("\n  ", unreviewed));
    }

    [Fact]
    public void Every_allow_list_entry_names_a_statement_that_exists_and_the_release_since_which_nothing_reads_it()
    {
        foreach (var entry in AllowList())
        {
            var path = Path.Combine(MigrationsDirectory, entry.Migration);
            Assert.True(File.Exists(path), $"allow-list entry for a migration that does not exist: {entry.Migration}");
            Assert.Contains(entry.Statement, Contractions(File.ReadAllText(path)));
            Assert.False(string.IsNullOrWhiteSpace(entry.UnreadSince), $"{entry.Migration}: name the release since which nothing reads it");
            Assert.False(string.IsNullOrWhiteSpace(entry.ReviewedBy), $"{entry.Migration}: name the review");
        }
    }

    [Theory]
    [InlineData("alter table orders drop column note;", "alter table orders drop column note")]
    [InlineData("ALTER TABLE orders\n  DROP COLUMN IF EXISTS note;", "alter table orders drop column if exists note")]
    [InlineData("drop table carts;", "drop table carts")]
    [InlineData("alter table products rename column title to name;", "alter table products rename column title to name")]
    [InlineData("alter table products rename to items;", "alter table products rename to items")]
    [InlineData("alter table products alter column price type numeric(12,2);", "alter table products alter column price type numeric(12,2)")]
    [InlineData("alter table products alter column sku set not null;", "alter table products alter column sku set not null")]
    [InlineData("drop view order_totals;", "drop view order_totals")]
    public void A_contracting_statement_is_found(string sql, string expected)
    {
        Assert.Equal([expected], Contractions(sql));
    }

    [Theory]
    [InlineData("alter table orders add column note text;")]
    [InlineData("create table carts (id bigint primary key, note text not null default '');")]
    [InlineData("-- nothing here drops or renames anything\ncreate index on orders (created_at);")]
    [InlineData("create type order_state as enum ('open', 'paid');")]
    [InlineData("drop index if exists orders_old_idx;")]
    public void An_expanding_statement_is_not(string sql)
    {
        Assert.Empty(Contractions(sql));
    }

    /// <summary>Statements (comments removed, whitespace collapsed, lower case) that contract the schema.</summary>
    public static IReadOnlyList<string> Contractions(string sql)
    {
        var code = LineComment().Replace(BlockComment().Replace(sql, " "), " ");
        return code.Split(';')
            .Select(statement => Whitespace().Replace(statement, " ").Trim().ToLowerInvariant())
            .Where(statement => Contracting().IsMatch(statement))
            .ToList();
    }

    private static List<AllowListEntry> AllowList() => File.ReadAllLines(AllowListPath)
        .Where(line => !string.IsNullOrWhiteSpace(line) && !line.TrimStart().StartsWith('#'))
        .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
        .Select(parts => new AllowListEntry(parts[0], parts[1], parts.ElementAtOrDefault(2) ?? "", parts.ElementAtOrDefault(3) ?? ""))
        .ToList();

    private sealed record AllowListEntry(string Migration, string Statement, string UnreadSince, string ReviewedBy);

    [GeneratedRegex(@"\bdrop (table|column|view|materialized view)\b|\brename (column|to)\b|\balter (column )?[\w""]+ (set data )?type\b|\bset not null\b")]
    private static partial Regex Contracting();

    [GeneratedRegex(@"--[^\n]*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex BlockComment();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
