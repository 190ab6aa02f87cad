using System.Security.Cryptography;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Carts;

namespace Headless.Api.Features.Orders;

/// <summary>Who may read an order: the customer who placed it, or anybody holding its order token
/// (sent as X-Order-Token, so it stays out of URLs and logs).</summary>
public static class OrderAccess
{
    public const string TokenHeader = "X-Order-Token";

    public static bool MayRead(HttpContext http, OrderStore.OrderRow order)
    {
        if (order.CustomerId is { } owner && http.User.UserId() == owner)
        {
            return true;
        }
        var token = http.Request.Headers[TokenHeader].ToString();
        return CartTokens.LooksValid(token) && CryptographicOperations.FixedTimeEquals(CartTokens.Hash(token), order.AccessTokenHash);
    }
}
