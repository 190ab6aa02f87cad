using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Orders;
using Headless.Api.Platform.Json;
using Headless.Contracts.Commerce;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// Moves what rows written before migrations 0030/0031 still hold in plain core columns into the vaults, writing the
/// same fields the current code writes, before migration 0035 (which refuses while any are left, and drops the columns
/// the previous release no longer reads; the users' and orders' stay empty until the next release). In order: accounts (email,
/// names), their saved addresses, staff invitations, orders (contact and addresses), and queued mail whose outbox
/// payload still carries the recipient and model.
/// <para>Which person, as the current code decides: an account's person is in its country's region (its default
/// shipping address, another address, else its latest order's shipping country; unknown: this API's region). A
/// confirmed account owns its address and joins a guest's person holding it; an unconfirmed one only claims it
/// (<see cref="PersonalDataVault.CreateClaimantInAsync"/>). A guest order joins the person owning its email, or a new
/// one in its shipping country's region; an account's order is the account's person's. The old rows already sit in
/// this region's core database, so a person whose country belongs to a region this API does not serve is kept in this
/// region's vault (<see cref="PersonalDataVault.RegionFor"/>); moving them is the staff action.</para>
/// <para>Batches: each locks up to <c>batch</c> rows with <c>for update skip locked</c> (the API and a second mover pass
/// them by), writes their vault fields, then names the person and nulls the plain columns in the same core transaction.
/// A crash between the vault writes and the commit leaves the rows plain; the next run finds the same people by the
/// email's blind index (or claim) and writes the same fields again, so nothing is duplicated. Safe while the API
/// serves: the running release neither reads nor writes the plain columns.</para>
/// </summary>
public sealed class PlainDataMove(NpgsqlDataSource db, PersonalDataVault vault, VaultRegions regions, ILogger<PlainDataMove> log)
{
    public const int DefaultBatch = 200;

    public const string CommandName = "vault-move-plain";

    /// <summary>`vault-move-plain [--batch=200]`: the move by hand, printing its progress. Migrating (which every command
    /// does first) already runs it before migration 0035; this shows what is left and moves what a crash left behind.</summary>
    public static Cli.OperatorCommand Command { get; } = new(
        CommandName, $"{CommandName} [--batch={DefaultBatch}]",
        "Moves personal data that rows from before the vaults still hold in plain core columns into the vaults (migrating runs it before 0035 too), printing counts.",
        ["batch"],
        async (services, line, output, errors, ct) =>
        {
            if (!int.TryParse(line["batch"] ?? DefaultBatch.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    System.Globalization.CultureInfo.InvariantCulture, out var batch) || batch is < 1 or > 10_000)
            {
                await errors.WriteLineAsync("--batch: a number from 1 to 10000.");
                return Cli.OperatorCommands.Usage;
            }
            var move = services.GetRequiredService<PlainDataMove>();
            await output.WriteLineAsync($"Plain rows left: {await move.RemainingAsync(ct)}");
            var moved = await move.RunAsync(batch, async p => await output.WriteLineAsync($"  moved so far: {p}"), ct);
            await output.WriteLineAsync($"Moved now: {moved}");
            var left = await move.RemainingAsync(ct);
            await output.WriteLineAsync(left.None ? "Nothing left in plain text." : $"Still plain (locked by a concurrent mover, try again): {left}");
            return left.None ? Cli.OperatorCommands.Done : Cli.OperatorCommands.Refused;
        });

    /// <summary>Rows moved so far by one run. Conflicts: accounts whose address another account took since 0030 (their
    /// data is kept under the field <see cref="SupersededEmailField"/>, without sign-in by email).</summary>
    public sealed record Progress(int Users, int Addresses, int Invitations, int Orders, int Mails, int Conflicts)
    {
        public int Total => Users + Addresses + Invitations + Orders + Mails;

        public override string ToString() =>
            $"users {Users}, addresses {Addresses}, staff invitations {Invitations}, orders {Orders}, queued mails {Mails}, email conflicts {Conflicts}";
    }

    public const string SupersededEmailField = "superseded_email";

    /// <summary>Plain rows left: what 0035 would refuse to drop (and old-format mails); all zero when done.</summary>
    public sealed record Remaining(long Users, long Addresses, long Invitations, long Orders, long Mails)
    {
        public bool None => Users + Addresses + Invitations + Orders + Mails == 0;

        public override string ToString() =>
            $"users {Users}, addresses {Addresses}, staff invitations {Invitations}, orders {Orders}, queued mails {Mails}";
    }

    private const string PlainUsers = "(u.person_id is null and u.erased_at is null) or u.email is not null or u.normalized_email is not null or u.first_name is not null or u.last_name is not null";
    private const string PlainAddresses = "a.full_name is not null or a.line1 is not null or a.line2 is not null or a.city is not null or a.region is not null or a.postal_code is not null or a.country is not null or a.phone is not null";
    private const string PlainInvitations = "i.email is not null or i.normalized_email is not null";
    private const string PlainOrders = "o.email is not null or o.shipping_address is not null or o.billing_address is not null";
    private const string PlainMails = "o.topic = 'email.requested' and o.payload ? 'to'";

    /// <summary>Whether a table still has its plain columns: migration 0035 dropped those of addresses and staff
    /// invitations; the next release drops the users' and orders' (empty since the move).</summary>
    public static async Task<bool> PlainColumnsExistAsync(NpgsqlConnection conn, string table) =>
        await conn.ExecuteScalarAsync<bool>("""
            select exists (select 1 from information_schema.columns
                           where table_schema = current_schema() and table_name = @table and column_name = @column)
            """, new { table, column = PlainColumnOf[table] });

    private static readonly Dictionary<string, string> PlainColumnOf = new(StringComparer.Ordinal)
    {
        ["users"] = "normalized_email",
        ["addresses"] = "line1",
        ["staff_invitations"] = "normalized_email",
        ["orders"] = "shipping_address",
    };

    public async Task<Remaining> RemainingAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        async Task<long> CountAsync(string table, string alias, string plain) =>
            await PlainColumnsExistAsync(conn, table) ? await conn.ExecuteScalarAsync<long>($"select count(*) from {table} {alias} where {plain}") : 0;
        return new Remaining(
            await CountAsync("users", "u", PlainUsers),
            await CountAsync("addresses", "a", PlainAddresses),
            await CountAsync("staff_invitations", "i", PlainInvitations),
            await CountAsync("orders", "o", PlainOrders),
            await conn.ExecuteScalarAsync<long>($"select count(*) from outbox o where {PlainMails}"));
    }

    /// <summary>Moves everything left, <paramref name="batch"/> rows per transaction; <paramref name="afterBatch"/> sees the
    /// progress after each committed batch (the command prints it; a test interrupts there).</summary>
    public async Task<Progress> RunAsync(int batch = DefaultBatch, Func<Progress, Task>? afterBatch = null, CancellationToken ct = default)
    {
        var progress = new Progress(0, 0, 0, 0, 0, 0);
        var remaining = await RemainingAsync(ct);
        if (remaining.None)
        {
            return progress;
        }
        log.LogInformation("Moving plain personal data into the vaults: {Remaining} left", remaining.ToString());
        // Start-up migrates the core before the vaults (VaultStartup): this runs between, so it brings them up to date first.
        foreach (var region in regions.Residency.Served)
        {
            await regions[region].Database.MigrateAsync(ct);
        }
        var steps = new Func<NpgsqlConnection, NpgsqlTransaction, int, Progress, CancellationToken, Task<Progress?>>[]
        {
            MoveUsersAsync, MoveAddressesAsync, MoveInvitationsAsync, MoveOrdersAsync, MoveMailsAsync,
        };
        foreach (var step in steps)
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                Progress? next;
                await using (var conn = await db.OpenConnectionAsync(ct))
                {
                    await using var tx = await conn.BeginTransactionAsync(ct);
                    next = await step(conn, tx, batch, progress, ct);
                    await tx.CommitAsync(ct);
                }
                if (next is null)
                {
                    break;
                }
                progress = next;
                log.LogInformation("Moved into the vaults so far: {Progress}", progress.ToString());
                if (afterBatch is not null)
                {
                    await afterBatch(progress);
                }
            }
        }
        log.LogInformation("Plain personal data moved into the vaults: {Progress}", progress.ToString());
        return progress;
    }

    private sealed record UserRow(Guid Id, string? Email, string? FirstName, string? LastName, bool EmailConfirmed, DateTime? ErasedAt,
        Guid? PersonId, string? PersonRegion, string? Country);

    /// <returns>The progress after the batch; null when there was nothing left.</returns>
    private async Task<Progress?> MoveUsersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int batch, Progress progress, CancellationToken ct)
    {
        if (!await PlainColumnsExistAsync(conn, "users"))
        {
            return null;
        }
        var rows = (await conn.QueryAsync<UserRow>($"""
            select u.id, u.email, u.first_name as firstname, u.last_name as lastname, u.email_confirmed as emailconfirmed, u.erased_at as erasedat,
                   u.person_id as personid, u.person_region as personregion,
                   {CountrySql(await PlainColumnsExistAsync(conn, "addresses"))} as country
            from users u
            where {PlainUsers}
            order by u.id limit @batch
            for update of u skip locked
            """, new { batch }, tx)).ToList();
        if (rows.Count == 0)
        {
            return null;
        }
        var conflicts = 0;
        foreach (var user in rows)
        {
            PersonRef? person = null;
            if (user.ErasedAt is null)
            {
                var (found, conflict) = await PersonOfAccountAsync(conn, tx, user, ct);
                person = found;
                var fields = new Dictionary<string, string?>(StringComparer.Ordinal)
                {
                    [AccountFields.FirstName] = user.FirstName,
                    [AccountFields.LastName] = user.LastName,
                };
                if (conflict)
                {
                    conflicts++;
                    fields[SupersededEmailField] = user.Email?.Trim();
                }
                else if (user.EmailConfirmed && user.Email?.Trim() is { Length: > 0 } email)
                {
                    // As registration writes it (an unconfirmed account's email was written with its claim).
                    fields[AccountFields.Email] = email;
                }
                await vault.PutAsync(found, fields, ct);
            }
            await conn.ExecuteAsync("""
                update users set person_id = coalesce(person_id, @Id), person_region = coalesce(person_region, @Region),
                    email = null, normalized_email = null, first_name = null, last_name = null
                where id = @userId
                """, new { person?.Id, person?.Region, userId = user.Id }, tx);
        }
        if (conflicts > 0)
        {
            log.LogWarning("{Conflicts} accounts from before the vaults had an email address another account has taken since; "
                + "they were moved without sign-in by email (field {Field})", conflicts, SupersededEmailField);
        }
        return progress with { Users = progress.Users + rows.Count, Conflicts = progress.Conflicts + conflicts };
    }

    /// <summary>An old account's country: its shipping address's (default first), another address's, else its latest order's.</summary>
    private static string CountrySql(bool addressColumns) => addressColumns
        ? """
          coalesce((select a.country from addresses a where a.user_id = u.id and a.country is not null
                    order by a.kind = 'shipping' desc, a.is_default desc, a.created_at limit 1),
                   (select o.shipping_address->>'country' from orders o where o.customer_id = u.id and o.shipping_address is not null
                    order by o.created_at desc limit 1))
          """
        : "(select o.shipping_address->>'country' from orders o where o.customer_id = u.id and o.shipping_address is not null order by o.created_at desc limit 1)";

    /// <summary>The person an old account becomes, as registration and confirmation would make it; conflict when another
    /// account owns (or claims) its address already: then a person of its own without the email.</summary>
    private async Task<(PersonRef Person, bool Conflict)> PersonOfAccountAsync(NpgsqlConnection conn, NpgsqlTransaction tx, UserRow user, CancellationToken ct)
    {
        if (AccountFields.PersonOf(user.PersonId, user.PersonRegion) is { } already)
        {
            return (already, false);
        }
        var region = vault.RegionFor(user.Country);
        if (user.Email?.Trim() is not { Length: > 0 } email)
        {
            return (await vault.CreatePersonInAsync(region, user.Country, ct), false);
        }
        var existing = user.EmailConfirmed ? await vault.FindByEmailAsync(email, ct) : await vault.FindClaimByEmailAsync(email, ct);
        if (existing is not null && await HasAccountAsync(conn, tx, existing, user.Id))
        {
            return (await vault.CreatePersonInAsync(region, user.Country, ct), true);
        }
        if (existing is not null)
        {
            return (existing, false);
        }
        if (user.EmailConfirmed)
        {
            var person = await vault.FindOrCreateByEmailInAsync(email, region, user.Country, ct);
            return await HasAccountAsync(conn, tx, person, user.Id) ? (await vault.CreatePersonInAsync(region, user.Country, ct), true) : (person, false);
        }
        try
        {
            return (await vault.CreateClaimantInAsync(email, region, user.Country, ct), false);
        }
        catch (EmailClaimTakenException)
        {
            return (await vault.CreatePersonInAsync(region, user.Country, ct), true);
        }
    }

    private static Task<bool> HasAccountAsync(NpgsqlConnection conn, NpgsqlTransaction tx, PersonRef person, Guid except) =>
        conn.ExecuteScalarAsync<bool>("select exists (select 1 from users where person_id = @Id and id <> @except)", new { person.Id, except }, tx);

    private sealed record AddressRow(Guid Id, Guid? PersonId, string? PersonRegion, string? FullName, string? Line1, string? Line2, string? City,
        string? Region, string? PostalCode, string? Country, string? Phone);

    private async Task<Progress?> MoveAddressesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int batch, Progress progress, CancellationToken ct)
    {
        if (!await PlainColumnsExistAsync(conn, "addresses"))
        {
            return null;
        }
        var rows = (await conn.QueryAsync<AddressRow>($"""
            select a.id, u.person_id as personid, u.person_region as personregion, a.full_name as fullname, a.line1, a.line2, a.city, a.region,
                   a.postal_code as postalcode, a.country, a.phone
            from addresses a join users u on u.id = a.user_id
            where {PlainAddresses}
            order by a.id limit @batch
            for update of a skip locked
            """, new { batch }, tx)).ToList();
        if (rows.Count == 0)
        {
            return null;
        }
        // One vault write per person; the JSON is AddressRules' (an address saved through the API looks the same).
        foreach (var owner in rows.Where(r => r.PersonId is not null).GroupBy(r => new PersonRef(r.PersonId!.Value, r.PersonRegion!)))
        {
            await vault.PutAsync(owner.Key, owner.ToDictionary(a => AccountFields.Address(a.Id), a => (string?)new JsonObject
            {
                ["fullName"] = a.FullName ?? "",
                ["line1"] = a.Line1 ?? "",
                ["line2"] = a.Line2 ?? "",
                ["city"] = a.City ?? "",
                ["region"] = a.Region ?? "",
                ["postalCode"] = a.PostalCode ?? "",
                ["country"] = a.Country?.Trim() ?? "",
                ["phone"] = a.Phone ?? "",
            }.ToJsonString(), StringComparer.Ordinal), ct);
        }
        await conn.ExecuteAsync("""
            update addresses set full_name = null, line1 = null, line2 = null, city = null, region = null, postal_code = null, country = null, phone = null
            where id = any(@ids)
            """, new { ids = rows.Select(r => r.Id).ToArray() }, tx);
        return progress with { Addresses = progress.Addresses + rows.Count };
    }

    private sealed record InvitationRow(Guid Id, string? Email, Guid? PersonId, string? PersonRegion, bool Open);

    private async Task<Progress?> MoveInvitationsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int batch, Progress progress, CancellationToken ct)
    {
        if (!await PlainColumnsExistAsync(conn, "staff_invitations"))
        {
            return null;
        }
        var rows = (await conn.QueryAsync<InvitationRow>($"""
            select i.id, i.email, i.person_id as personid, i.person_region as personregion, (i.accepted_at is null and i.revoked_at is null) as open
            from staff_invitations i
            where {PlainInvitations}
            order by i.id limit @batch
            for update of i skip locked
            """, new { batch }, tx)).ToList();
        if (rows.Count == 0)
        {
            return null;
        }
        foreach (var invitation in rows)
        {
            // As InviteStaff makes it: the invitee is the person owning the address, or a new one of this API's region.
            var person = AccountFields.PersonOf(invitation.PersonId, invitation.PersonRegion)
                ?? (invitation.Email?.Trim() is { Length: > 0 } email ? await vault.FindOrCreateByEmailInAsync(email, vault.Region, null, ct) : null);
            // One open invitation per person: a second open one to the same address (possible when the plain addresses
            // differed in spaces only) is revoked rather than moved.
            var duplicate = person is not null && invitation.Open && await conn.ExecuteScalarAsync<bool>("""
                select exists (select 1 from staff_invitations where person_id = @Id and id <> @invitation and accepted_at is null and revoked_at is null)
                """, new { person.Id, invitation = invitation.Id }, tx);
            await conn.ExecuteAsync("""
                update staff_invitations set person_id = coalesce(person_id, @Id), person_region = coalesce(person_region, @Region),
                    email = null, normalized_email = null,
                    revoked_at = case when @duplicate then now() else revoked_at end,
                    revoked_by = case when @duplicate then 'system:duplicate' else revoked_by end
                where id = @invitation
                """, new { person?.Id, person?.Region, duplicate, invitation = invitation.Id }, tx);
        }
        return progress with { Invitations = progress.Invitations + rows.Count };
    }

    private sealed record OrderRow(Guid Id, string? Email, string? ShippingAddress, string? BillingAddress, Guid? PersonId, string? PersonRegion,
        Guid? AccountPersonId, string? AccountPersonRegion);

    private async Task<Progress?> MoveOrdersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int batch, Progress progress, CancellationToken ct)
    {
        if (!await PlainColumnsExistAsync(conn, "orders"))
        {
            return null;
        }
        var rows = (await conn.QueryAsync<OrderRow>($"""
            select o.id, o.email, o.shipping_address::text as shippingaddress, o.billing_address::text as billingaddress,
                   o.person_id as personid, o.person_region as personregion,
                   u.person_id as accountpersonid, u.person_region as accountpersonregion
            from orders o left join users u on u.id = o.customer_id and u.erased_at is null
            where {PlainOrders}
            order by o.id limit @batch
            for update of o skip locked
            """, new { batch }, tx)).ToList();
        if (rows.Count == 0)
        {
            return null;
        }
        foreach (var order in rows)
        {
            var shipJson = order.ShippingAddress is { } s ? JsonNode.Parse(s) as JsonObject : null;
            var shipTo = Address(order.ShippingAddress);
            var country = shipTo.Country.Trim().ToUpperInvariant() is { Length: 2 } c && c.All(char.IsAsciiLetterUpper) ? c : null;
            var region = string.IsNullOrWhiteSpace(shipTo.Region) ? null : shipTo.Region;
            // An order anonymised by an erasure before the vaults keeps only its country: no person to write.
            var erased = shipJson?["erased"] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True
                || order.Email is null
                || order.Email.EndsWith("@erased.invalid", StringComparison.OrdinalIgnoreCase);
            PersonRef? person = null;
            if (!erased)
            {
                // As checkout chooses: the account's person, else the person owning the email, else a new one in the
                // shipping country's region.
                person = AccountFields.PersonOf(order.PersonId, order.PersonRegion)
                    ?? AccountFields.PersonOf(order.AccountPersonId, order.AccountPersonRegion)
                    ?? await vault.FindOrCreateByEmailInAsync(order.Email!.Trim(), vault.RegionFor(country), country, ct);
                await new OrderContact(order.Email!, shipTo, Address(order.BillingAddress)).SaveAsync(vault, person, order.Id, ct);
            }
            await conn.ExecuteAsync("""
                update orders set person_id = coalesce(person_id, @Id), person_region = coalesce(person_region, @Region),
                    ship_country = coalesce(ship_country, @country), ship_region = coalesce(ship_region, @region),
                    email = null, shipping_address = null, billing_address = null
                where id = @order
                """, new { person?.Id, person?.Region, country, region, order = order.Id }, tx);
        }
        return progress with { Orders = progress.Orders + rows.Count };
    }

    private static OrderAddress Address(string? json) =>
        (json is null ? null : JsonSerializer.Deserialize(json, ApiJsonContext.Default.OrderAddress)) is { } a
            ? new OrderAddress(a.FullName ?? "", a.Line1 ?? "", a.Line2 ?? "", a.City ?? "", a.Region ?? "", a.PostalCode ?? "", a.Country ?? "", a.Phone ?? "")
            : new OrderAddress("", "", "", "", "", "", "", "");

    private sealed record MailRow(long Id, string AggregateId, string Payload, bool Sent);

    private async Task<Progress?> MoveMailsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int batch, Progress progress, CancellationToken ct)
    {
        var rows = (await conn.QueryAsync<MailRow>($"""
            select o.id, o.aggregate_id as aggregateid, o.payload::text as payload,
                   exists (select 1 from email_deliveries d where d.outbox_id = o.id) as sent
            from outbox o
            where {PlainMails}
            order by o.id limit @batch
            for update of o skip locked
            """, new { batch }, tx)).ToList();
        if (rows.Count == 0)
        {
            return null;
        }
        foreach (var mail in rows)
        {
            var payload = JsonNode.Parse(mail.Payload) as JsonObject ?? [];
            var template = payload["template"]?.DeepClone();
            JsonObject moved;
            if (mail.Sent || payload["to"] is not JsonValue to || to.GetValueKind() != JsonValueKind.String)
            {
                // Sent already (the consumer skips a delivered event first): its content is not kept, as sent mail in the
                // vault is deleted once sent.
                moved = new JsonObject { ["template"] = template, ["erased"] = true };
            }
            else
            {
                // As EmailQueue writes it: the account's person, else the person owning the address, else a new one here.
                var person = await AccountPersonAsync(conn, tx, mail.AggregateId)
                    ?? await vault.FindOrCreateByEmailInAsync(to.GetValue<string>().Trim(), vault.Region, null, ct);
                var field = Features.Email.EmailQueue.MailField(Guid.CreateVersion7());
                await vault.PutAsync(person, new Dictionary<string, string?>
                {
                    [field] = new JsonObject { ["to"] = to.DeepClone(), ["toName"] = payload["toName"]?.DeepClone(), ["model"] = payload["model"]?.DeepClone() ?? new JsonObject() }.ToJsonString(),
                }, ct);
                moved = new JsonObject
                {
                    ["template"] = template,
                    ["person"] = new JsonObject { ["id"] = person.Id, ["region"] = person.Region },
                    ["mail"] = field,
                };
            }
            await conn.ExecuteAsync("update outbox set payload = @payload::jsonb where id = @Id", new { payload = moved.ToJsonString(), mail.Id }, tx);
        }
        return progress with { Mails = progress.Mails + rows.Count };
    }

    private static async Task<PersonRef?> AccountPersonAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string aggregateId)
    {
        if (!Guid.TryParse(aggregateId, out var id))
        {
            return null;
        }
        var row = await conn.QuerySingleOrDefaultAsync<(Guid? Id, string? Region)>(
            "select person_id, person_region from users where id = @id and erased_at is null", new { id }, tx);
        return AccountFields.PersonOf(row.Id, row.Region);
    }
}
