using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Orders;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;
using Order = Headless.Contracts.Commerce.Order;

namespace Headless.Api.Features.Payments.TestProvider;

public sealed class ConfirmTestPayment(IPaymentProvider payments, NpgsqlDataSource db, PaymentSync sync, PersonalDataVault vault)
    : Endpoint<ConfirmTestPayment.Request, Results<Ok<Order>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/test-payments/{paymentIntentId}/confirm");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("ConfirmTestPayment").WithTags("Checkout")
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s =>
        {
            s.Summary = "TEST MODE ONLY: pay a test-provider intent with a test card (4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined)";
            s.Description = "Exists only while no Stripe key is configured; with Stripe, the browser confirms the payment with Stripe.js instead. No money moves.";
        });
    }

    public sealed class Request : JsonBody<TestCardRequest>
    {
        [RouteParam]
        public string PaymentIntentId { get; set; } = "";
    }

    public sealed class Validator(IValidator<TestCardRequest> rules) : JsonBodyValidator<Request, TestCardRequest>(rules);

    public override async Task<Results<Ok<Order>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (paymentIntentId, request, http) = (req.PaymentIntentId, req.Body, HttpContext);
        if (payments is not TestPaymentProvider)
        {
            return NotFound("Test payments are off: this shop takes real payments through Stripe.");
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var intent = await TestPaymentProvider.FindAsync(conn, paymentIntentId);
        // The client secret proves the caller is the browser that checked out, as with Stripe.js.
        var secret = http.Request.Headers["X-Client-Secret"].ToString();
        if (intent is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(secret), System.Text.Encoding.UTF8.GetBytes(intent.ClientSecret)))
        {
            return NotFound("No test payment has this id and client secret (send the client secret from checkout in X-Client-Secret).");
        }
        if (intent.Status is "succeeded" or "canceled")
        {
            return Conflict($"This payment is already {intent.Status}.");
        }
        var card = new string(request.CardNumber!.Where(char.IsAsciiDigit).ToArray());
        var actor = Actor.From(http);
        if (TestPaymentProvider.Decline(card) is { } decline)
        {
            if (card is TestPaymentProvider.DeclinedCard or TestPaymentProvider.InsufficientFundsCard)
            {
                await sync.ApplyAsync(intent with { Status = "requires_payment_method", LastError = decline }, actor, "test payment", ct);
                return Make(StatusCodes.Status402PaymentRequired, "card-declined", "Card declined", decline + " Try another card.");
            }
            return Validation("cardNumber", decline);
        }
        await sync.ApplyAsync(intent with { Status = "succeeded", AmountReceived = intent.Amount }, actor, "test payment", ct);
        var orderId = await Dapper.SqlMapper.ExecuteScalarAsync<Guid>(conn, "select order_id from payments where provider_ref = @paymentIntentId", new { paymentIntentId });
        var order = await OrderStore.LoadAsync(conn, orderId);
        return TypedResults.Ok(await order!.ToContractAsync(vault, ct));
    }
}

public sealed class TestCardRequestValidator : FluentValidation.AbstractValidator<TestCardRequest>
{
    public TestCardRequestValidator()
    {
        RuleFor(r => r.CardNumber).NotEmpty().WithMessage("cardNumber is required.").MaximumLength(30)
            .Matches("^[0-9 ]+$").WithMessage("Digits and spaces only.");
        RuleFor(r => r.Expiry).MaximumLength(7);
        RuleFor(r => r.Cvc).MaximumLength(4).Matches("^[0-9]*$").WithMessage("Digits only.");
    }
}
