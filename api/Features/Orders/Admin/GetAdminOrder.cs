using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Orders.Admin;

public sealed class GetAdminOrder(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<GetAdminOrder.Request, Results<Ok<Order>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/orders/{orderId:guid}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("GetAdminOrder").WithTags("Admin orders")
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s => s.Summary = "Read any order with its lines, payment state and full history");
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
        if (order is null)
        {
            return NotFound($"No order {orderId}.");
        }
        Versions.SetETag(http, order.Row.Version);
        return TypedResults.Ok(await order.ToContractAsync(vault, ct));
    }
}
