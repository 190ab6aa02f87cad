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
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Commerce;

/// <summary>Carts, pricing rules, checkout, payments and orders: their services and the staff routes. The
/// public routes are FastEndpoints endpoints beside each use case.</summary>
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
