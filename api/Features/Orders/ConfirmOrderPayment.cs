using FastEndpoints;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Orders;

public sealed class ConfirmOrderPayment(NpgsqlDataSource db, IPaymentProvider payments, PaymentSync sync, PersonalDataVault vault)
    : Endpoint<ConfirmOrderPayment.Request, Results<Ok<Order>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/orders/{orderId:guid}/payment-confirmation");
        Group<PublicApi>();
        // The generated C# client sends an empty JSON body on bodyless POSTs: read route values only.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        AllowAnonymous();
        Description(b => b.WithName("ConfirmOrderPayment").WithTags("Orders")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s => s.Summary = "The browser is back from paying: ask the payment provider and update the order (safe to repeat; the webhook may come first)");
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
        if (order.Row.Status == OrderStatus.PendingPayment && order.Row.PaymentRef is { } paymentRef && order.Row.PaymentProvider == payments.Name)
        {
            try
            {
                // Never trust the browser's word: the provider says whether the money arrived.
                var intent = await payments.RetrieveIntentAsync(paymentRef, ct);
                await sync.ApplyAsync(intent, Actor.From(http), "browser confirmation", ct);
            }
            catch (PaymentProviderException e)
            {
                return PaymentProblems.From(http, e, "The order is unchanged; it updates when the payment service reports the payment.");
            }
            order = await OrderStore.LoadAsync(conn, orderId);
        }
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await order!.ToContractAsync(vault, ct));
    }
}
