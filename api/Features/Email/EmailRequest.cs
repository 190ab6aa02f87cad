using System.Text.Json.Nodes;
using Headless.Api.Platform.Vaults;

namespace Headless.Api.Features.Email;

/// <summary>An email to send: a template name (a set of files in Templates/), the recipient and the
/// template's model. <paramref name="CustomerId"/> only groups the outbox event (its aggregate id).
/// <paramref name="Person"/> is the recipient's person, whose vault holds the mail until it is sent; without one,
/// <see cref="EmailQueue.EnqueueAsync"/> finds it (the account's, or by the recipient's email).</summary>
public sealed record EmailRequest(string Template, string To, string? ToName, JsonObject Model, string? CustomerId = null, PersonRef? Person = null);
