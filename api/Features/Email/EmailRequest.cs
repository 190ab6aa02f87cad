using System.Text.Json.Nodes;

namespace Headless.Api.Features.Email;

/// <summary>An email to send: a template name (a set of files in Templates/), the recipient and the
/// template's model. <paramref name="CustomerId"/> only groups the outbox event (its aggregate id).</summary>
public sealed record EmailRequest(string Template, string To, string? ToName, JsonObject Model, string? CustomerId = null);
