using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Admin;

/// <summary>Staff invitations (invite, email, accept, MFA before any admin route), revoking invitations and
/// staff members, and the customers list and detail.</summary>
public sealed class AdminStaffTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private static string TokenIn(Email.ReceivedMail mail)
    {
        var match = Regex.Match(mail.Text, @"https://shop\.test/admin/accept-invitation\#token=([A-Za-z0-9_-]+)");
        Assert.True(match.Success, $"no invitation link in: {mail.Text}");
        Assert.Contains(match.Value, WebUtility.HtmlDecode(mail.Html), StringComparison.Ordinal);
        return match.Groups[1].Value;
    }

    private Task<long> CountAsync(string sql, object? args = null) => Shop(sql, args);

    private async Task<long> Shop(string sql, object? args)
    {
        await using var conn = await host.Api.Db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }

    [Fact]
    public async Task An_invited_staff_member_sets_a_password_and_must_enrol_mfa_before_any_admin_route()
    {
        var (admin, _) = await host.MfaAdminAsync();
        var email = AccountsHost.NewEmail();
        var invited = await (await admin.PostAsJsonAsync("/api/v1/admin/staff-invitations", new InviteStaffRequest(email, ["staff"]), Http.Json))
            .ReadAsync<StaffInvitation>(HttpStatusCode.Created);
        Assert.Equal(("pending", email), (invited.Status, invited.Email));
        Assert.InRange(invited.ExpiresAt - invited.CreatedAt, TimeSpan.FromHours(71.9), TimeSpan.FromHours(72.1));
        var pending = await (await admin.GetAsync("/api/v1/admin/staff-invitations")).ReadAsync<StaffInvitationPage>();
        Assert.Contains(pending.Items, i => i.Id == invited.Id);

        var token = TokenIn(await host.MailAsync(email, "invited"));
        // Only the hash is stored.
        Assert.Equal(0, await CountAsync("select count(*) from staff_invitations where encode(token_hash, 'escape') like '%' || @t || '%'", new { t = token[..12] }));
        Assert.Equal(32, await CountAsync("select length(token_hash) from staff_invitations where id = @id", new { id = invited.Id }));
        // A second invitation to the same address while this one is open: 409.
        await (await admin.PostAsJsonAsync("/api/v1/admin/staff-invitations", new InviteStaffRequest(email, ["admin"]), Http.Json)).ProblemAsync(HttpStatusCode.Conflict);

        var anonymous = host.Client();
        await (await anonymous.PostAsJsonAsync("/api/v1/staff-invitations/acceptance", new AcceptStaffInvitationRequest(token, "short", null, null), Http.Json))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await anonymous.PostAsJsonAsync("/api/v1/staff-invitations/acceptance", new AcceptStaffInvitationRequest("not-a-token", AccountsHost.Password, null, null), Http.Json))
            .ProblemAsync(HttpStatusCode.NotFound);
        Assert.Null(await Accounts.VaultPeople.UserIdAsync(host.Api.Services, host.Api.Db, email));
        var accepted = await anonymous.PostAsJsonAsync("/api/v1/staff-invitations/acceptance", new AcceptStaffInvitationRequest(token, AccountsHost.Password, "Sam", "Shipper"), Http.Json);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        // The link works once.
        await (await anonymous.PostAsJsonAsync("/api/v1/staff-invitations/acceptance", new AcceptStaffInvitationRequest(token, AccountsHost.Password, null, null), Http.Json))
            .ProblemAsync(HttpStatusCode.NotFound);

        // Signed in with the password only: every admin route says to turn on two-factor authentication.
        var passwordOnly = host.Client((await host.LoginAsync(email)).AccessToken);
        var refused = await (await passwordOnly.GetAsync("/api/v1/admin/orders")).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("two-factor", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // After enrolling (the existing MFA routes) and signing in with a code: the staff routes answer.
        var (staff, _, _) = await host.SignInWithMfaAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync("/api/v1/admin/orders")).StatusCode);
        // Staff, not admin: people and keys stay out of reach.
        Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync("/api/v1/admin/customers")).StatusCode);

        var all = await (await admin.GetAsync("/api/v1/admin/staff-invitations?status=accepted")).ReadAsync<StaffInvitationPage>();
        Assert.Contains(all.Items, i => i.Id == invited.Id && i.AcceptedAt is not null);
        Assert.Equal(1, await CountAsync("select count(*) from audit_log where action = 'staff.invited' and entity_id = @id", new { id = invited.Id.ToString() }));
        Assert.Equal(1, await CountAsync("select count(*) from audit_log where action = 'staff.invitation-accepted' and after->>'invitation' = @id", new { id = invited.Id.ToString() }));
        // No address in the audit trail.
        Assert.Equal(0, await CountAsync("select count(*) from audit_log where after::text like '%' || @email || '%'", new { email }));
    }

    [Fact]
    public async Task A_revoked_invitation_cannot_be_accepted_and_bad_invitations_change_nothing()
    {
        var (admin, _) = await host.MfaAdminAsync();
        var email = AccountsHost.NewEmail();
        var before = await CountAsync("select count(*) from staff_invitations");
        await (await admin.PostAsJsonAsync("/api/v1/admin/staff-invitations", new InviteStaffRequest("not an email", ["staff"]), Http.Json)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/v1/admin/staff-invitations", new InviteStaffRequest(email, ["customer"]), Http.Json)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/v1/admin/staff-invitations", new InviteStaffRequest(email, []), Http.Json)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.GetAsync("/api/v1/admin/staff-invitations?status=lost")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(before, await CountAsync("select count(*) from staff_invitations"));
        // An API key, even with the admin scope, may not invite.
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Api.Admin().PostAsJsonAsync("/api/v1/admin/staff-invitations", new InviteStaffRequest(email, ["staff"]), Http.Json)).StatusCode);

        var invited = await (await admin.PostAsJsonAsync("/api/v1/admin/staff-invitations", new InviteStaffRequest(email, ["staff", "admin"]), Http.Json))
            .ReadAsync<StaffInvitation>(HttpStatusCode.Created);
        var token = TokenIn(await host.MailAsync(email, "invited"));
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/admin/staff-invitations/{invited.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/admin/staff-invitations/{invited.Id}")).StatusCode);
        await (await admin.DeleteAsync($"/api/v1/admin/staff-invitations/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await host.Client().PostAsJsonAsync("/api/v1/staff-invitations/acceptance", new AcceptStaffInvitationRequest(token, AccountsHost.Password, null, null), Http.Json))
            .ProblemAsync(HttpStatusCode.NotFound);
        var pending = await (await admin.GetAsync("/api/v1/admin/staff-invitations")).ReadAsync<StaffInvitationPage>();
        Assert.DoesNotContain(pending.Items, i => i.Id == invited.Id);
        Assert.Equal(1, await CountAsync("select count(*) from audit_log where action = 'staff.invitation-revoked' and entity_id = @id", new { id = invited.Id.ToString() }));
    }

    [Fact]
    public async Task A_revoked_staff_members_session_is_refused_at_once()
    {
        var (admin, adminUser) = await host.MfaAdminAsync();
        var email = AccountsHost.NewEmail();
        var user = await host.CreateUserAsync(email, "staff", "customer");
        var (staff, _, _) = await host.SignInWithMfaAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync("/api/v1/admin/orders")).StatusCode);

        await (await admin.PostAsync($"/api/v1/admin/staff/{adminUser.Id}/revocation", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Api.Admin().PostAsync($"/api/v1/admin/staff/{user.Id}/revocation", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/admin/staff/{user.Id}/revocation", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await staff.GetAsync("/api/v1/admin/orders")).StatusCode);
        Assert.Equal(0, await CountAsync("select count(*) from sessions where user_id = @id and revoked_at is null", new { id = user.Id }));
        Assert.Equal(["customer"], (await (await admin.GetAsync($"/api/v1/admin/customers/{user.Id}")).ReadAsync<CustomerDetail>()).Roles);
        Assert.Equal(1, await CountAsync("select count(*) from audit_log where action = 'staff.revoked' and entity_id = @id", new { id = user.Id.ToString() }));
        await (await admin.PostAsync($"/api/v1/admin/staff/{Guid.NewGuid()}/revocation", null)).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Customers_are_listed_with_a_cursor_found_by_exact_email_and_shown_decrypted_with_the_read_audited()
    {
        var (admin, _) = await host.MfaAdminAsync();
        var tag = Guid.NewGuid().ToString("N")[..10];
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await host.RegisterAndConfirmAsync($"cust-{tag}-{i}@example.test"));
        }
        // Newest first, emails and names decrypted from the vault a page at a time.
        var first = await (await admin.GetAsync("/api/v1/admin/customers?limit=2")).ReadAsync<CustomerPage>();
        Assert.Equal([ids[2], ids[1]], first.Items.Select(c => c.Id));
        Assert.Equal([$"cust-{tag}-2@example.test", $"cust-{tag}-1@example.test"], first.Items.Select(c => c.Email));
        var second = await (await admin.GetAsync($"/api/v1/admin/customers?limit=1&cursor={first.NextCursor}")).ReadAsync<CustomerPage>();
        Assert.Equal([ids[0]], second.Items.Select(c => c.Id));
        Assert.Equal("Ada", second.Items[0].FirstName);
        // A whole email, any case, through the blind index; a name or a part of an address cannot be searched any more.
        var byEmail = await (await admin.GetAsync($"/api/v1/admin/customers?q=CUST-{tag}-1@EXAMPLE.TEST")).ReadAsync<CustomerPage>();
        Assert.Equal([ids[1]], byEmail.Items.Select(c => c.Id));
        Assert.Null(byEmail.NextCursor);
        Assert.Empty((await (await admin.GetAsync($"/api/v1/admin/customers?q=nobody-{tag}@example.test")).ReadAsync<CustomerPage>()).Items);
        var byName = await (await admin.GetAsync("/api/v1/admin/customers?q=lovelace")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("q", byName.FieldErrors());

        foreach (var bad in new[] { "limit=0", "limit=101", "cursor=nope", "q=x", "limit=abc" })
        {
            await (await admin.GetAsync($"/api/v1/admin/customers?{bad}")).ProblemAsync(HttpStatusCode.BadRequest);
        }

        var detail = await (await admin.GetAsync($"/api/v1/admin/customers/{ids[0]}")).ReadAsync<CustomerDetail>();
        Assert.Equal(($"cust-{tag}-0@example.test", "Ada", true), (detail.Email, detail.FirstName, detail.EmailConfirmed));
        Assert.Contains("customer", detail.Roles);
        // Registered with marketing consent: the history has it, with its time.
        Assert.Contains(detail.ConsentHistory, c => c.Purpose == "marketing" && c.Granted && c.At > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Empty(detail.Addresses);
        Assert.Equal(0, detail.OrderCount);
        // The staff read of personal data is on the record, naming the account, never what was shown.
        var viewed = (await CountAsync("""
            select count(*) from audit_log where action = 'customer.personal_data_viewed' and entity_id = @id
              and coalesce(before::text, '') || coalesce(after::text, '') not ilike '%' || @tag || '%'
            """, new { id = ids[0].ToString(), tag }));
        Assert.Equal(1, viewed);
        await (await admin.GetAsync($"/api/v1/admin/customers/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
    }
}
