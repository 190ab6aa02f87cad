using System.Net.Mail;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;

namespace Headless.Api.Features.Email;

/// <summary>
/// Queues transactional email through the outbox: the mail goes out if, and only if, the caller's transaction
/// commits. The <see cref="EmailConsumer"/> renders and sends it.
/// The outbox payload names nobody: `{template, person: {id, region}, mail: "mail.&lt;idN&gt;"}`. The recipient, their
/// name and the template's model are one field of the recipient's person in their region's vault, read at send time
/// and deleted once sent; shredding the person drops the mail. The field is written before the outbox row commits,
/// so a caller's transaction that rolls back leaves an orphan field (encrypted, gone with the person's key).
/// </summary>
public static class EmailQueue
{
    public const string Topic = "email.requested";
    public const string AggregateType = "email";

    /// <summary>Appends an `email.requested` outbox event (aggregate_type "email", aggregate_id =
    /// CustomerId ?? "anonymous") inside the caller's transaction, its content in the recipient's vault
    /// (<see cref="WriteLog.Vault"/>). The person is the request's, else the account's (CustomerId), else the one with
    /// the recipient's email, created in this API's region when there is none.</summary>
    /// <exception cref="ArgumentException">The template does not exist, or the recipient is not an address.</exception>
    public static async Task EnqueueAsync(WriteLog log, EmailRequest email)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(email.Model, nameof(email.Model));
        if (!EmailTemplates.Exists(email.Template))
        {
            throw new ArgumentException(
                $"Unknown email template '{email.Template}'. Templates: {string.Join(", ", EmailTemplates.Names)}.", nameof(email));
        }
        if (!IsAddress(email.To))
        {
            // The address itself stays out of the message: exception messages end up in logs.
            throw new ArgumentException("The recipient is not a valid email address.", nameof(email));
        }
        var vault = log.Vault ?? throw new InvalidOperationException(
            "Mail is kept in the recipient's personal-data vault: create the WriteLog with its Vault to queue mail.");
        var person = email.Person ?? await AccountPersonAsync(log, email.CustomerId)
            ?? await vault.FindOrCreateByEmailAsync(email.To, RegionCountry(vault.Region));
        var field = MailField(Guid.CreateVersion7());
        await vault.PutAsync(person, new Dictionary<string, string?> { [field] = ToContent(email).ToJsonString() });
        await log.EventAsync(Topic, AggregateType, email.CustomerId ?? "anonymous", new JsonObject
        {
            ["template"] = email.Template,
            ["person"] = new JsonObject { ["id"] = person.Id, ["region"] = person.Region },
            ["mail"] = field,
        });
    }

    public static string MailField(Guid id) => $"mail.{id:N}";

    /// <summary>The account's person (users.person_id), when the mail is an account's and the account has one.</summary>
    private static async Task<PersonRef?> AccountPersonAsync(WriteLog log, string? customerId)
    {
        if (!Guid.TryParse(customerId, out var id))
        {
            return null;
        }
        var row = await log.Connection.QuerySingleOrDefaultAsync<(Guid? Id, string? Region)>(
            "select person_id, person_region from users where id = @id", new { id }, log.Transaction);
        return row is { Id: { } personId, Region: { } region } ? new PersonRef(personId, region) : null;
    }

    /// <summary>A person created for a mail's recipient has no known country: they are recorded in this API's own
    /// region, with the region's reference country (vault_people.country is required).</summary>
    private static string RegionCountry(string region) => region == Residency.Eu ? "DE" : "US";

    internal static JsonObject ToContent(EmailRequest email) => new()
    {
        ["to"] = email.To,
        ["toName"] = email.ToName,
        ["model"] = email.Model.DeepClone(),
    };

    /// <summary>Where a queued mail is: its recipient's person and the vault field holding it; null for a payload
    /// written before the vaults (it carries the mail itself: <see cref="FromPayload"/>).</summary>
    internal static (PersonRef Person, string Field)? VaultedMail(JsonObject payload)
    {
        if (payload["mail"] is not JsonValue mail || mail.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }
        if (payload["person"] is not JsonObject person || !Guid.TryParse(person["id"]?.ToString(), out var id)
            || person["region"] is not JsonValue region || !Residency.AllRegions.Contains(region.ToString()))
        {
            throw new OutboxEventRejectedException("The email event names no person.");
        }
        return (new PersonRef(id, region.ToString()), mail.GetValue<string>());
    }

    /// <summary>Reads back a mail: the vault field's content, or (written before the vaults) the payload itself; null
    /// when the payload was erased (a GDPR erasure blanks the queued mail of the person it erases).</summary>
    /// <exception cref="OutboxEventRejectedException">The payload is not one EnqueueAsync writes.</exception>
    internal static EmailRequest? FromPayload(JsonObject payload, string aggregateId, JsonObject? content = null)
    {
        if (payload["erased"] is JsonValue erased && erased.GetValueKind() == JsonValueKind.True)
        {
            return null;
        }
        content ??= payload;
        if (payload["template"] is not JsonValue template || template.GetValueKind() != JsonValueKind.String
            || content["to"] is not JsonValue to || to.GetValueKind() != JsonValueKind.String)
        {
            throw new OutboxEventRejectedException("The email event has no template or recipient.");
        }
        if (!EmailTemplates.Exists(template.GetValue<string>()))
        {
            throw new OutboxEventRejectedException($"The email template '{template.GetValue<string>()}' no longer exists.");
        }
        var toName = content["toName"] is JsonValue name && name.GetValueKind() == JsonValueKind.String ? name.GetValue<string>() : null;
        return new EmailRequest(template.GetValue<string>(), to.GetValue<string>(), toName,
            content["model"] as JsonObject ?? [], aggregateId == "anonymous" ? null : aggregateId);
    }

    private static bool IsAddress(string? value) =>
        !string.IsNullOrWhiteSpace(value)
        && value.IndexOfAny(['\r', '\n']) < 0
        && MailAddress.TryCreate(value, out var parsed)
        && parsed.Address == value
        && string.IsNullOrEmpty(parsed.DisplayName);
}
