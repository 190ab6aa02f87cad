using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using Headless.Api.Platform.Audit;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Headless.Tests.Accounts;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Headless.Tests.Privacy;

/// <summary>
/// Audit rows keep only the client's network in core; a person's full address is in their vault (issue 15): a staff
/// action from 203.0.113.57 leaves 203.0.113.0/24 in the audit log, the staff member's export shows 203.0.113.57, and
/// after their erasure the address cannot be read. The audit chain still verifies.
/// </summary>
public sealed class AuditClientIpTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private const string StaffAddress = "203.0.113.57";

    [Fact]
    public async Task A_staff_write_keeps_the_network_in_core_the_full_address_in_the_staff_members_vault_and_erasure_makes_it_unreadable()
    {
        var (staff, user) = await host.MfaAdminAsync();
        var token = staff.DefaultRequestHeaders.Authorization!.Parameter!;
        var slugs = new[] { "ip-" + Guid.NewGuid().ToString("N")[..10], "ip-" + Guid.NewGuid().ToString("N")[..10] };

        // Two writes from the same address: one vault field serves both rows.
        foreach (var slug in slugs)
        {
            var created = await SendFromAsync(StaffAddress, token, "POST", "/api/v1/admin/categories", $$"""{"slug":"{{slug}}","name":"From afar"}""");
            Assert.Equal(StatusCodes.Status201Created, created.Response.StatusCode);
        }

        await using var core = await host.Api.Db.OpenConnectionAsync();
        var rows = (await core.QueryAsync<(long Seq, string ClientIp, Guid? Ref)>("""
            select seq, client_ip::text, client_ip_ref from audit_log where actor = @actor and action like 'category.%' and entity_type = 'category' order by seq
            """, new { actor = "user:" + user.Id })).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal("203.0.113.0/24", r.ClientIp));
        Assert.NotNull(rows[0].Ref);
        Assert.Equal(rows[0].Ref, rows[1].Ref);
        var scan = await PlainTextScan.ScanAsync([("core", host.Api.OwnerConnectionString)], [StaffAddress]);
        Assert.True(scan.Count == 0, PlainTextScan.Describe(scan));

        var export = await (await staff.GetAsync("/api/v1/account/export")).ReadAsync<PersonalDataExport>();
        var addresses = export.AuditAddresses!.Where(a => a.Action.StartsWith("category.", StringComparison.Ordinal)).ToList();
        Assert.Equal(rows.Select(r => r.Seq), addresses.Select(a => a.Seq));
        Assert.All(addresses, a => Assert.Equal((StaffAddress, "203.0.113.0/24"), (a.ClientIp, a.Network)));

        var person = await core.QuerySingleAsync<(Guid Id, string Region)>("select person_id, person_region from users where id = @Id", new { user.Id });
        var vault = host.Api.Services.GetRequiredService<PersonalDataVault>();
        Assert.Equal(StaffAddress, (await vault.GetAsync(new PersonRef(person.Id, person.Region)))![WriteLog.ClientIpField(rows[0].Ref!.Value)]);

        (await staff.PostAsJsonAsync("/api/v1/account/erase", new ReauthenticateRequest(AccountsHost.Password), Http.Json)).EnsureSuccessStatusCode();

        Assert.Null(await vault.GetAsync(new PersonRef(person.Id, person.Region)));
        var verification = await AuditChain.VerifyAsync(core);
        Assert.True(verification.Intact, verification.ToString());
    }

    [Fact]
    public async Task An_api_key_or_anonymous_write_keeps_only_the_network_and_no_vault_reference()
    {
        var slug = "ip-" + Guid.NewGuid().ToString("N")[..10];
        var created = await SendFromAsync("198.51.100.23", host.Api.AdminKey, "POST", "/api/v1/admin/categories", $$"""{"slug":"{{slug}}","name":"By key"}""");
        Assert.Equal(StatusCodes.Status201Created, created.Response.StatusCode);
        var failed = await SendFromAsync("198.51.100.24", null, "POST", "/api/v1/auth/login",
            $$"""{"email":"nobody-{{Guid.NewGuid():N}}@example.test","password":"not it"}""");
        Assert.Equal(StatusCodes.Status401Unauthorized, failed.Response.StatusCode);

        await using var core = await host.Api.Db.OpenConnectionAsync();
        var rows = (await core.QueryAsync<(string ClientIp, Guid? Ref)>("""
            select client_ip::text, client_ip_ref from audit_log where client_ip <<= '198.51.100.0/24'::inet
            """)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(("198.51.100.0/24", (Guid?)null), r));
    }

    /// <summary>A request through the whole pipeline with the connection's address set, as Kestrel sets it for a client.</summary>
    private Task<HttpContext> SendFromAsync(string address, string? bearer, string method, string path, string json) =>
        host.Api.Server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(address);
            context.Request.Method = method;
            context.Request.Scheme = "https";
            context.Request.Host = new HostString("localhost");
            context.Request.Path = path;
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
            if (bearer is not null)
            {
                context.Request.Headers.Authorization = new StringValues("Bearer " + bearer);
            }
        });
}
