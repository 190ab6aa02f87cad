using Headless.Api.Features.Accounts.Identity;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Addresses;

public static class ListAddresses
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/addresses", Handle)
        .WithName("ListAddresses")
        .WithSummary("The signed-in customer's shipping and billing addresses");

    private static async Task<AddressList> Handle(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return new AddressList(await AddressRules.ListAsync(conn, http.User.UserId()!.Value));
    }
}
