namespace Headless.Contracts.Accounts;

// Request fields are nullable so a missing field becomes a field error, not a silent default.

/// <summary>Country: ISO 3166-1 alpha-2, optional; it decides the region whose vault keeps the account's personal data
/// (EU/EEA, UK and Switzerland: eu; elsewhere: us). Without it, the region of the API that receives the registration.</summary>
public sealed record RegisterRequest(string? Email, string? Password, string? FirstName, string? LastName, bool? MarketingConsent, string? Country = null);

public sealed record ConfirmEmailRequest(Guid? UserId, string? Code);

public sealed record ResendConfirmationRequest(string? Email);

public sealed record LoginRequest(string? Email, string? Password, string? TwoFactorCode, string? RecoveryCode, bool? UseCookies);

/// <summary>The second factor for a sign-in that is waiting for it (after signing in with Google or Facebook).</summary>
public sealed record SecondFactorRequest(string? TwoFactorCode, string? RecoveryCode, bool? UseCookies);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record ForgotPasswordRequest(string? Email);

public sealed record ResetPasswordRequest(string? Email, string? Code, string? NewPassword);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>Proof that the signed-in person is at the keyboard, for sensitive changes.</summary>
public sealed record ReauthenticateRequest(string? Password);

public sealed record Accepted(string Message);

public sealed record Me(
    Guid Id,
    string Email,
    bool EmailConfirmed,
    string? FirstName,
    string? LastName,
    IReadOnlyList<string> Roles,
    bool TwoFactorEnabled,
    bool MustChangePassword);

/// <summary>A bearer sign-in carries the tokens; a cookie sign-in (useCookies) only the user.</summary>
public sealed record AuthResponse(string? TokenType, string? AccessToken, long? ExpiresIn, string? RefreshToken, Me User);

public sealed record CsrfToken(string Token, string HeaderName);

public sealed record UpdateProfileRequest(string? FirstName, string? LastName);

public sealed record MfaStatus(bool Enabled, bool AuthenticatorConfigured, int RecoveryCodesLeft);

public sealed record AuthenticatorSetup(string SharedKey, string OtpauthUri);

public sealed record VerifyAuthenticatorRequest(string? Code);

public sealed record RecoveryCodes(IReadOnlyList<string> Codes);

public sealed record AddressInput(
    string? Kind,
    bool? IsDefault,
    string? FullName,
    string? Line1,
    string? Line2,
    string? City,
    string? Region,
    string? PostalCode,
    string? Country,
    string? Phone);

public sealed record Address(
    Guid Id,
    string Kind,
    bool IsDefault,
    string FullName,
    string Line1,
    string Line2,
    string City,
    string Region,
    string PostalCode,
    string Country,
    string Phone,
    int Version);

public sealed record AddressList(IReadOnlyList<Address> Items);

public sealed record ConsentRequest(string? Purpose, bool? Granted, string? PolicyVersion);

public sealed record ConsentRecord(string Purpose, bool Granted, string PolicyVersion, DateTimeOffset At);

public sealed record ConsentList(IReadOnlyList<ConsentRecord> Current, IReadOnlyList<ConsentRecord> History);

public sealed record ExternalLogin(string Provider, string? DisplayName, DateTimeOffset LinkedAt);

public sealed record SessionInfo(Guid Id, string Kind, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, DateTimeOffset? RevokedAt);

public sealed record ActivityEntry(string Action, DateTimeOffset At, string? ClientIp);

/// <summary>A transactional email queued for the person (their account's or a guest order's with their
/// confirmed address), with what it says; SentAt is null while it waits.</summary>
public sealed record EmailRecord(string Template, string To, DateTimeOffset QueuedAt, DateTimeOffset? SentAt, System.Text.Json.JsonElement Content);

/// <summary>Everything the shop holds about one person (GDPR Art. 15 and 20). Orders include guest
/// orders placed with the account's email once that address is confirmed.</summary>
public sealed record PersonalDataExport(
    DateTimeOffset ExportedAt,
    Me Profile,
    DateTimeOffset CreatedAt,
    IReadOnlyList<Address> Addresses,
    IReadOnlyList<ConsentRecord> Consents,
    IReadOnlyList<ExternalLogin> ExternalLogins,
    IReadOnlyList<SessionInfo> Sessions,
    IReadOnlyList<ActivityEntry> Activity,
    IReadOnlyList<Headless.Contracts.Commerce.Order> Orders,
    IReadOnlyList<EmailRecord> Emails,
    IReadOnlyList<OrderPersonalData> OrderContacts,
    IReadOnlyList<AuditAddress>? AuditAddresses = null);

/// <summary>A write the person did while signed in (as a customer or staff user), from the audit log, with the full client
/// address their vault keeps for it (the audit log itself keeps only the network, such as 203.0.113.0/24).</summary>
public sealed record AuditAddress(long Seq, DateTimeOffset At, string Action, string EntityType, string EntityId, string? Network, string ClientIp);

/// <summary>What the person's vault holds for one of their orders (contact email, shipping and billing address, ...),
/// decrypted: each vault field order.&lt;order id&gt;.&lt;name&gt; as Fields[name].</summary>
public sealed record OrderPersonalData(Guid OrderId, IReadOnlyDictionary<string, string> Fields);

public sealed record Erasure(Guid UserId, DateTimeOffset ErasedAt);

public sealed record UserSummary(
    Guid Id,
    string Email,
    string? FirstName,
    string? LastName,
    IReadOnlyList<string> Roles,
    bool EmailConfirmed,
    bool TwoFactorEnabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ErasedAt);

public sealed record UserPage(IReadOnlyList<UserSummary> Items, string? NextCursor);

public sealed record SetRolesRequest(List<string>? Roles);

public sealed record CreateApiKeyRequest(string? Name, List<string>? Scopes);

public sealed record ApiKeyCreated(Guid Id, string Name, IReadOnlyList<string> Scopes, string Secret, DateTimeOffset CreatedAt);

public sealed record ApiKeyInfo(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record ApiKeyList(IReadOnlyList<ApiKeyInfo> Items);

/// <summary>A registered customer account as staff see it in a list.</summary>
public sealed record CustomerSummary(
    Guid Id,
    string Email,
    string? FirstName,
    string? LastName,
    bool EmailConfirmed,
    int OrderCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ErasedAt);

public sealed record CustomerPage(IReadOnlyList<CustomerSummary> Items, string? NextCursor);

/// <summary>A customer for staff: profile, latest orders (up to 50, newest first; the orders list filtered by
/// customerId has them all), addresses, and every consent given or withdrawn. Region: where the customer's personal data
/// is kept (eu or us; null for an account without a person, or erased). Version: the ETag's number, for If-Match.</summary>
public sealed record CustomerDetail(
    Guid Id,
    string Email,
    string? FirstName,
    string? LastName,
    bool EmailConfirmed,
    IReadOnlyList<string> Roles,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ErasedAt,
    int OrderCount,
    IReadOnlyList<Headless.Contracts.Commerce.OrderSummary> Orders,
    IReadOnlyList<Address> Addresses,
    IReadOnlyList<ConsentRecord> ConsentHistory,
    string? Region,
    int Version);

public sealed record InviteStaffRequest(string? Email, List<string>? Roles);

/// <summary>Status: pending, accepted, revoked or expired.</summary>
public sealed record StaffInvitation(
    Guid Id,
    string Email,
    IReadOnlyList<string> Roles,
    string Status,
    string InvitedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset? RevokedAt);

public sealed record StaffInvitationPage(IReadOnlyList<StaffInvitation> Items, string? NextCursor);

public sealed record AcceptStaffInvitationRequest(string? Token, string? Password, string? FirstName, string? LastName);
