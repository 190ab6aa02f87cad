using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
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
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status421MisdirectedRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Read any order with its lines, payment state and full history";
            s.Description = "The contact email and addresses are read from the customer's personal-data vault, and the read is audited " +
                "(order.personal_data_read, naming the order only). An erased customer's order shows contactErased, blank contact fields and " +
                "the shipping country. 421: the customer's data is kept in the other region (the problem names its API); 503 (Retry-After): " +
                "the vault cannot be reached for a moment.";
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
        if (order is null)
        {
            return NotFound($"No order {orderId}.");
        }
        var contact = await OrderContact.ReadAsync(vault, order.Row, ct);
        if (contact is not null)
        {
            // Staff reads of personal data are audited; the row names the order, not the person's data.
            await using var tx = await conn.BeginTransactionAsync(ct);
            await new WriteLog(conn, tx, Actor.From(http)).AuditAsync("order.personal_data_read", "order", orderId.ToString(), null, null);
            await tx.CommitAsync(ct);
        }
        Versions.SetETag(http, order.Row.Version);
        return TypedResults.Ok(order.ToContract(contact));
    }
}
