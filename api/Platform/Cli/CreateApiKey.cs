using System.Text.Json.Nodes;
using Headless.Api.Features.Accounts.Admin;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Security;
using Headless.Contracts.Accounts;

namespace Headless.Api.Platform.Cli;

/// <summary>`create-api-key --name=... --scopes=a,b`: a key for an integration without going through the admin
/// UI (the same rules as POST /api/v1/admin/api-keys). The key is printed alone on the last line.</summary>
public static class CreateApiKey
{
    public static OperatorCommand Command { get; } = new(
        "create-api-key", "create-api-key --name=<integration> --scopes=<a,b>",
        $"issue an API key (scopes: {string.Join(", ", Scopes.All)}); prints the key alone on the last line", ["name", "scopes"], RunAsync);

    private static async Task<int> RunAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        var request = new CreateApiKeyRequest(line["name"], line["scopes"]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList());
        var validation = new CreateApiKeyRequestValidator().Validate(request);
        if (!validation.IsValid)
        {
            errors.WriteLine(string.Join("\n", validation.Errors.Select(e => $"--{e.PropertyName.ToLowerInvariant()}: {e.ErrorMessage}")));
            errors.WriteLine($"Usage: {Command.Usage}");
            return OperatorCommands.Usage;
        }
        await using var scope = services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountsDb>();
        var actor = Actor.System("cli");
        var log = await accounts.BeginAsync(actor, ct);
        var scopes = request.Scopes!.Distinct().Order(StringComparer.Ordinal).ToArray();
        var key = await ApiKeys.IssueAsync(log.Connection, request.Name!.Trim(), scopes, log.Transaction, actor.Id);
        await log.AuditAsync("api_key.created", "api_key", key.Id.ToString(), null,
            new JsonObject { ["name"] = key.Name, ["scopes"] = new JsonArray([.. scopes.Select(s => JsonValue.Create(s))]) }.ToJsonString());
        await accounts.CommitAsync(ct);
        output.WriteLine($"API key {key.Id} '{key.Name}' with scopes {string.Join(", ", scopes)}. The key is shown once; we keep only its hash:");
        output.WriteLine(key.Secret);
        return OperatorCommands.Done;
    }
}
