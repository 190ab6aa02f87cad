using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>Keeps ASP.NET Core data protection keys in PostgreSQL so every instance can read the tokens,
/// cookies and TOTP secrets the others protected, and a restart does not sign everyone out.</summary>
public sealed class PostgresKeyRepository(NpgsqlDataSource db) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var conn = db.OpenConnection();
        return conn.Query<string>("select xml from data_protection_keys order by created_at").Select(XElement.Parse).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var conn = db.OpenConnection();
        conn.Execute("insert into data_protection_keys (friendly_name, xml) values (@friendlyName, @xml) on conflict do nothing",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
