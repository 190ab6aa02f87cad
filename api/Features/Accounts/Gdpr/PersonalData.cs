using Dapper;
using Headless.Api.Features.Accounts.Addresses;
using Headless.Api.Features.Accounts.Consents;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Gdpr;

/// <summary>The right of access (export) and the right to erasure, shared by the customer's own routes
/// and the staff routes. Each new table that holds personal data must be added to both methods
/// (orders: exported whole; on erasure their email and addresses go, their lines, totals and destination
/// country stay). Guest orders and mail with the person's confirmed address count as theirs.
/// The account's personal fields are its person's in their region's vault (issue 15): the export decrypts them, with
/// every order.* field checkout keeps there, grouped by order; erasure shreds the person (their data key goes, so
/// every copy of their fields, in replicas and old backups, is unreadable) and leaves core its pseudonymous ids.</summary>
public static class PersonalData
{
    // The person's orders: their account's, and guest orders of the same person (checkout names them; orders from before
    // that were moved to the person owning their address) once they have proved the address is theirs (confirmed it):
    // an unconfirmed account must not reach someone else's orders.
    private const string OwnOrders =
        "(customer_id = @userId or (customer_id is null and @confirmed and person_id = @personId))";

    // Their queued and sent mail (outbox payloads) by account id; mail to the person is found by the payload's person.
    private const string OwnEmails = "o.aggregate_type = 'email' and o.aggregate_id = @id";

    public static async Task<PersonalDataExport?> ExportAsync(NpgsqlConnection conn, PersonalDataVault vault, Guid userId, NpgsqlTransaction? tx = null, CancellationToken ct = default)
    {
        var user = await conn.QuerySingleOrDefaultAsync<HeadlessUser>("""
            select id, email_confirmed, two_factor_enabled, must_change_password, created_at, erased_at, person_id, person_region
            from users where id = @userId and erased_at is null
            """, new { userId }, tx);
        if (user is null)
        {
            return null;
        }
        var fields = user.Person is { } person ? await vault.GetAsync(person, ct) : null;
        user.Email = fields.Get(AccountFields.Email) ?? "";
        user.FirstName = fields.Get(AccountFields.FirstName);
        user.LastName = fields.Get(AccountFields.LastName);
        var roles = (await conn.QueryAsync<string>("select role from user_roles where user_id = @userId order by role", new { userId }, tx)).ToList();
        var logins = (await conn.QueryAsync<(string Provider, string? DisplayName, DateTime CreatedAt)>(
            "select provider, display_name, created_at from user_logins where user_id = @userId order by created_at", new { userId }, tx))
            .Select(l => new ExternalLogin(l.Provider, l.DisplayName, l.CreatedAt)).ToList();
        var sessions = (await conn.QueryAsync<(Guid Id, string Kind, DateTime CreatedAt, DateTime LastSeenAt, DateTime? RevokedAt)>(
            "select id, kind, created_at, last_seen_at, revoked_at from sessions where user_id = @userId order by created_at", new { userId }, tx))
            .Select(s => new SessionInfo(s.Id, s.Kind, s.CreatedAt, s.LastSeenAt, s.RevokedAt)).ToList();
        var activity = (await conn.QueryAsync<(string Action, DateTime At, string? Ip)>("""
            select action, at, host(client_ip) from audit_log where entity_type = 'user' and entity_id = @id order by id
            """, new { id = userId.ToString() }, tx)).Select(a => new ActivityEntry(a.Action, a.At, a.Ip)).ToList();
        var orders = new List<Headless.Contracts.Commerce.Order>();
        var owner = new { userId, confirmed = user.EmailConfirmed, personId = user.PersonId };
        foreach (var orderId in await conn.QueryAsync<Guid>($"select id from orders where {OwnOrders} order by created_at", owner, tx))
        {
            var order = (await Orders.OrderStore.LoadAsync(conn, orderId, tx))!;
            // An order placed since the vaults has its contact in the person's vault (fields order.<idN>.*), exported from there.
            orders.Add(await order.ToContractAsync(vault, ct));
        }
        var emails = (await conn.QueryAsync<(string Template, string To, DateTime QueuedAt, DateTime? SentAt, string Payload)>($$"""
            select o.payload->>'template', o.payload->>'to', o.created_at, d.sent_at, coalesce(o.payload->'model', '{}')::text
            from outbox o left join email_deliveries d on d.outbox_id = o.id
            where {{OwnEmails}} and o.payload->>'to' is not null
            order by o.id
            """, new { id = userId.ToString() }, tx))
            .Select(m => new EmailRecord(m.Template, m.To, m.QueuedAt, m.SentAt, System.Text.Json.JsonDocument.Parse(m.Payload).RootElement.Clone()))
            .ToList();
        // Mail since the vaults names the person; its content is their vault field until it is sent, then gone (kept no
        // longer than needed), so sent mail is exported as what went to them and when.
        if (user.PersonId is { } personId)
        {
            var vaulted = await conn.QueryAsync<(string Template, DateTime QueuedAt, DateTime? SentAt, string? Field)>("""
                select o.payload->>'template', o.created_at, d.sent_at, o.payload->>'mail'
                from outbox o left join email_deliveries d on d.outbox_id = o.id
                where o.aggregate_type = 'email' and o.payload->'person'->>'id' = @person
                  -- the account's own mail, and the person's other mail (as a guest) once they proved the address is theirs
                  and (o.aggregate_id = @id or @confirmed)
                order by o.id
                """, new { person = personId.ToString(), id = userId.ToString(), confirmed = user.EmailConfirmed }, tx);
            foreach (var m in vaulted)
            {
                var model = m.Field is not null && fields.Get(m.Field) is { } mail && System.Text.Json.Nodes.JsonNode.Parse(mail)?["model"] is { } queued
                    ? System.Text.Json.JsonDocument.Parse(queued.ToJsonString()).RootElement.Clone()
                    : System.Text.Json.JsonDocument.Parse("{}").RootElement.Clone();
                emails.Add(new EmailRecord(m.Template, user.Email, m.QueuedAt, m.SentAt, model));
            }
            emails = [.. emails.OrderBy(e => e.QueuedAt)];
        }
        var profile = new Me(user.Id, user.Email, user.EmailConfirmed, user.FirstName, user.LastName, roles, user.TwoFactorEnabled, user.MustChangePassword);
        return new PersonalDataExport(DateTimeOffset.UtcNow, profile, user.CreatedAt,
            await AddressRules.ListAsync(conn, userId, fields, tx), await ConsentQueries.HistoryAsync(conn, userId, tx), logins, sessions, activity, orders, emails,
            OrderFields(fields), await AuditAddressesAsync(conn, userId, fields, tx));
    }

    /// <summary>The audit rows the person wrote, with the full client address each one's vault field (audit_ip.&lt;ref&gt;) holds.</summary>
    private static async Task<List<AuditAddress>> AuditAddressesAsync(NpgsqlConnection conn, Guid userId, IReadOnlyDictionary<string, string>? fields, NpgsqlTransaction? tx)
    {
        var rows = await conn.QueryAsync<(long Seq, DateTime At, string Action, string EntityType, string EntityId, string? Network, Guid ClientIpRef)>("""
            select seq, at, action, entity_type, entity_id, client_ip::text as network, client_ip_ref from audit_log
            where actor = @actor and client_ip_ref is not null order by seq
            """, new { actor = Actor.UserPrefix + userId }, tx);
        return [.. rows.Where(r => fields.Get(WriteLog.ClientIpField(r.ClientIpRef)) is not null)
            .Select(r => new AuditAddress(r.Seq, Orders.OrderStore.Utc(r.At), r.Action, r.EntityType, r.EntityId, r.Network, fields.Get(WriteLog.ClientIpField(r.ClientIpRef))!))];
    }

    /// <summary>Every order.&lt;order id&gt;.&lt;name&gt; vault field, grouped by order.</summary>
    public static List<OrderPersonalData> OrderFields(IReadOnlyDictionary<string, string>? fields) =>
        (fields ?? new Dictionary<string, string>())
            .Where(f => f.Key.StartsWith(AccountFields.OrderPrefix, StringComparison.Ordinal))
            .Select(f => (Parts: f.Key[AccountFields.OrderPrefix.Length..].Split('.', 2), f.Value))
            .Where(f => f.Parts.Length == 2 && Guid.TryParseExact(f.Parts[0], "N", out _))
            .GroupBy(f => Guid.ParseExact(f.Parts[0], "N"))
            .OrderBy(g => g.Key)
            .Select(g => new OrderPersonalData(g.Key, g.ToDictionary(f => f.Parts[1], f => f.Value, StringComparer.Ordinal)))
            .ToList();

    /// <summary>Removes or irreversibly anonymises everything personal about the user, in the caller's
    /// transaction, and shreds their person in the vault before it commits (a vault that cannot be reached leaves
    /// the account as it was: 503). Cannot be undone. Consent history stays as proof of what was agreed, tied only
    /// to the now anonymous id.</summary>
    public static async Task<DateTimeOffset?> EraseAsync(WriteLog log, Sessions sessions, PersonalDataVault vault, Guid userId, CancellationToken ct = default)
    {
        var conn = log.Connection;
        var tx = log.Transaction;
        var row = await conn.QuerySingleOrDefaultAsync<(bool Confirmed, Guid? PersonId, string? PersonRegion)?>(
            "select email_confirmed, person_id, person_region from users where id = @userId and erased_at is null for update", new { userId }, tx);
        if (row is not { } found)
        {
            return null;
        }
        var person = AccountFields.PersonOf(found.PersonId, found.PersonRegion);
        var erasedAt = await conn.QuerySingleOrDefaultAsync<DateTime?>("""
            update users set
                email_confirmed = false, password_hash = null, security_stamp = gen_random_uuid()::text,
                concurrency_stamp = gen_random_uuid()::text, two_factor_enabled = false, authenticator_key = null,
                recovery_code_hashes = '{}', must_change_password = false,
                lockout_end = 'infinity', erased_at = now(), updated_at = now()
            where id = @userId and erased_at is null
            returning erased_at
            """, new { userId }, tx);
        if (erasedAt is null)
        {
            return null;
        }
        var id = userId.ToString();
        await conn.ExecuteAsync($$"""
            delete from addresses where user_id = @userId;
            delete from user_logins where user_id = @userId;
            delete from user_roles where user_id = @userId;
            update audit_log set client_ip = null where (entity_type = 'user' and entity_id = @id) or actor = 'user:' || @id;
            update outbox o set payload = '{"erased": true}' where {{OwnEmails}};
            -- Orders stay for the books: what tax law needs (number as invoice number, lines, amounts, tax, the
            -- destination country and region, payments); who they were and where exactly they went are vault fields of
            -- the person, shredded below.
            update orders set tracking_number = null, updated_at = now() where {{OwnOrders}};
            delete from carts where customer_id = @userId;
            """, new { userId, id, confirmed = found.Confirmed, personId = found.PersonId }, tx);
        await sessions.RevokeAllAsync(conn, tx, userId, "account erased");
        if (person is not null)
        {
            // The person's data key goes: their account fields, addresses and order contacts with it, in every copy.
            await vault.ShredAsync(person, ct);
        }
        await AccountAudit.RecordAsync(log, "gdpr.erased", userId);
        await log.EventAsync("customer.erased", "customer", userId.ToString());
        return erasedAt.Value;
    }
}
