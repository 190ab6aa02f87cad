using System.Text.Json.Nodes;
using Headless.Api.Platform.Outbox;

namespace Headless.Api.Features.Accounts;

/// <summary>Security events in the audit log. Rows name the user by id only, never by email, so an
/// erasure leaves nothing personal behind in the log.</summary>
public static class AccountAudit
{
    public static Task RecordAsync(WriteLog log, string action, Guid? userId, JsonObject? detail = null) =>
        log.AuditAsync(action, "user", userId?.ToString() ?? "unknown", null, detail?.ToJsonString());
}
