using Dapper;
using Npgsql;

namespace Headless.Tests.Privacy;

/// <summary>Where a searched-for string was found: the database, table.column, and how many rows hold it.</summary>
public sealed record PlainTextHit(string Database, string Table, string Column, string Needle, long Rows)
{
    public override string ToString() => $"{Database}: {Table}.{Column} holds \"{Needle}\" in {Rows} row{(Rows == 1 ? "" : "s")}";
}

/// <summary>
/// Looks for strings in every column that can hold text, of every table of the given databases: `text`, `varchar`,
/// `char`, `json`, `jsonb` (as its text), `inet`, `citext` and arrays of them (as text), and `bytea` (as bytes: the
/// needle's UTF-8 encoding). Case-insensitive; in `bytea` only ASCII letters fold (other bytes match exactly). One query
/// per column, counting every needle at once, so a whole test database is scanned in a second or two.
/// </summary>
public static class PlainTextScan
{
    private static readonly string[] TextTypes = ["text", "character varying", "character", "json", "jsonb", "inet", "cidr", "citext", "xml", "name"];
    private static readonly string[] TextArrays = ["_text", "_varchar", "_bpchar", "_json", "_jsonb", "_inet", "_citext"];

    public static async Task<IReadOnlyList<PlainTextHit>> ScanAsync(IEnumerable<(string Label, string ConnectionString)> databases, IReadOnlyCollection<string> needles)
    {
        var hits = new List<PlainTextHit>();
        var wanted = needles.Where(n => !string.IsNullOrEmpty(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var (label, connectionString) in databases)
        {
            await using var conn = new NpgsqlConnection(connectionString);
            await conn.OpenAsync();
            var columns = await conn.QueryAsync<(string Schema, string Table, string Column, string DataType, string UdtName)>("""
                select c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name
                from information_schema.columns c
                join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
                where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
                  and (c.data_type = any(@TextTypes) or c.data_type = 'bytea' or (c.data_type = 'ARRAY' and c.udt_name = any(@TextArrays)))
                order by 1, 2, 3
                """, new { TextTypes, TextArrays });
            foreach (var column in columns)
            {
                var quoted = $"{Quote(column.Column)}";
                var match = column.DataType == "bytea"
                    ? $"strpos(lower(encode({quoted}, 'escape')), lower(encode(convert_to(@n{{0}}, 'UTF8'), 'escape'))) > 0"
                    : $"strpos(lower({quoted}::text), lower(@n{{0}})) > 0";
                var counts = string.Join(", ", wanted.Select((_, i) => $"count(*) filter (where {string.Format(System.Globalization.CultureInfo.InvariantCulture, match, i)})"));
                await using var command = new NpgsqlCommand($"select {counts} from {Quote(column.Schema)}.{Quote(column.Table)}", conn);
                for (var i = 0; i < wanted.Count; i++)
                {
                    command.Parameters.AddWithValue($"n{i}", wanted[i]);
                }
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                for (var i = 0; i < wanted.Count; i++)
                {
                    if (reader.GetInt64(i) is > 0 and var rows)
                    {
                        var table = column.Schema == "public" ? column.Table : $"{column.Schema}.{column.Table}";
                        hits.Add(new PlainTextHit(label, table, column.Column, wanted[i], rows));
                    }
                }
            }
        }
        return hits;
    }

    /// <summary>The hits one per line, for an assertion's message.</summary>
    public static string Describe(IEnumerable<PlainTextHit> hits) => string.Join(Environment.NewLine, hits);

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
