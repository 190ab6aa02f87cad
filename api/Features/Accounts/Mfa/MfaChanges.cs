using System.Text.Json.Nodes;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Mfa;

/// <summary>What the MFA endpoints share: the otpauth URI and the notice email with its audit row.</summary>
public static class MfaChanges
{
    public const int RecoveryCodeCount = 10;

    public static string OtpauthUri(string issuer, string email, string sharedKey) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(email)}?secret={sharedKey}&issuer={Uri.EscapeDataString(issuer)}&digits=6&period=30";

    public static async Task NotifyAsync(WriteLog log, HeadlessUser user, string action, string template)
    {
        await EmailQueue.EnqueueAsync(log, new EmailRequest(template, user.Email, user.DisplayName, new JsonObject { ["name"] = user.DisplayName }, user.Id.ToString()));
        await AccountAudit.RecordAsync(log, action, user.Id);
    }

    public static async Task<MfaStatus> StatusAsync(UserManager<HeadlessUser> users, HeadlessUser user) =>
        new(user.TwoFactorEnabled, user.AuthenticatorKey is not null, await users.CountRecoveryCodesAsync(user));
}
