using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Addresses;

public sealed class ListAddresses(NpgsqlDataSource db, PersonalDataVault vault) : EndpointWithoutRequest<AddressList>
{
    public override void Configure()
    {
        Get("/account/addresses");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("ListAddresses").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "The signed-in customer's shipping and billing addresses");
    }

    public override async Task<AddressList> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
        await using var conn = await db.OpenConnectionAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return new AddressList(await AddressRules.ListAsync(conn, vault, http.User.UserId()!.Value, ct: ct));
    }
}
