using Headless.Api.Features.Carts;
using Headless.Api.Features.Checkout;
using Headless.Api.Features.Orders;
using Headless.Api.Features.Orders.Admin;
using Headless.Api.Features.Payments;
using Headless.Api.Features.Payments.Stripe;
using Headless.Api.Features.Payments.TestProvider;
using Headless.Api.Features.Pricing;
using Headless.Api.Features.Pricing.Admin;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Commerce;

/// <summary>Carts, pricing rules, checkout, payments and orders: services and routes.</summary>
public static class CommerceSetup
{
    public static IServiceCollection AddCommerce(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<CheckoutOptions>(config.GetSection(CheckoutOptions.Section));
        services.Configure<PaymentsOptions>(config.GetSection(PaymentsOptions.Section));
        services.AddSingleton<PricingRules>();
        services.AddSingleton<Idempotency>();
        services.AddSingleton<PaymentSync>();
        services.AddSingleton<ReservationSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ReservationSweeper>());

        var stripe = config.GetSection(PaymentsOptions.Section).Get<PaymentsOptions>()?.Stripe ?? new();
        if (string.IsNullOrEmpty(stripe.SecretKey))
        {
            services.AddSingleton<IPaymentProvider, TestPaymentProvider>();
        }
        else
        {
            services.AddHttpClient<IPaymentProvider, StripeClient>((http, sp) =>
                {
                    http.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<PaymentsOptions>>().Value.Stripe.TimeoutSeconds);
                    return new StripeClient(http, sp.GetRequiredService<IOptions<PaymentsOptions>>().Value.Stripe);
                });
        }
        return services;
    }

    public static void MapCommerce(this IEndpointRouteBuilder app)
    {
        var problems500 = new ProducesResponseTypeMetadata(StatusCodes.Status500InternalServerError, typeof(ProblemDetails), ["application/problem+json"]);

        var carts = app.MapGroup("/api/v1").WithTags("Carts").AllowAnonymous().WithMetadata(problems500);
        CreateCart.Map(carts);
        GetCart.Map(carts);
        UpdateCart.Map(carts);
        AddCartLine.Map(carts);
        SetCartLine.Map(carts);
        RemoveCartLine.Map(carts);
        MergeCart.Map(carts);

        var checkout = app.MapGroup("/api/v1").WithTags("Checkout").AllowAnonymous().WithMetadata(problems500);
        CreateCheckout.Map(checkout);
        ConfirmTestPayment.Map(checkout);
        StripeWebhook.Map(checkout);

        var orders = app.MapGroup("/api/v1").WithTags("Orders").AllowAnonymous().WithMetadata(problems500);
        GetOrder.Map(orders);
        ConfirmOrderPayment.Map(orders);
        ListMyOrders.Map(orders);
    }

    /// <summary>Staff routes under /api/v1/admin: orders and pricing rules.</summary>
    public static void MapCommerceAdmin(RouteGroupBuilder admin)
    {
        var orders = admin.MapGroup("").WithTags("Admin orders").RequireAuthorization(Policies.OrderStaff);
        ListOrders.Map(orders);
        GetAdminOrder.Map(orders);
        ShipOrder.Map(orders);
        MarkOrderDelivered.Map(orders);
        CancelOrder.Map(orders);
        RefundOrder.Map(orders);

        var pricing = admin.MapGroup("").WithTags("Admin pricing").RequireAuthorization(Policies.OrderStaff);
        CreateShippingMethod.Map(pricing);
        ListShippingMethods.Map(pricing);
        UpdateShippingMethod.Map(pricing);
        SetTaxRate.Map(pricing);
        ListTaxRates.Map(pricing);
        DeleteTaxRate.Map(pricing);
        CreateDiscountCode.Map(pricing);
        ListDiscountCodes.Map(pricing);
        UpdateDiscountCode.Map(pricing);
    }
}
