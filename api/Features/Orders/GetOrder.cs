using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Orders;

public sealed class GetOrder(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<GetOrder.Request, Results<Ok<Order>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/orders/{orderId:guid}");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("GetOrder").WithTags("Orders").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status421MisdirectedRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Read an order: as the signed-in customer who placed it, or with its order token in X-Order-Token";
            s.Description = "The contact email and addresses are read from the personal-data vault of the customer's region. An erased customer's " +
                "order shows contactErased with blank contact fields (amounts, lines and the shipping country stay). 421: the customer's data is " +
                "kept in the other region (the problem names its API); 503 (Retry-After): the vault cannot be reached for a moment.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid OrderId { get; set; }
    }

    public override async Task<Results<Ok<Order>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (orderId, http) = (req.OrderId, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        var order = await OrderStore.LoadAsync(conn, orderId);
        if (order is null || !OrderAccess.MayRead(http, order.Row))
        {
            return NotFound("No order with this id is yours. Guests send the order token from checkout in X-Order-Token.");
        }
        http.Response.Headers.CacheControl = "no-store";
        Versions.SetETag(http, order.Row.Version);
        return TypedResults.Ok(await order.ToContractAsync(vault, ct));
    }
}
