using Headless.Api.Features.Checkout;
using Headless.Api.Features.Orders;
using Headless.Api.Features.Payments;
using Headless.Api.Features.Payments.Stripe;
using Headless.Api.Features.Payments.TestProvider;
using Headless.Api.Features.Pricing;
using Headless.Api.Platform.Http;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Commerce;

/// <summary>Carts, pricing rules, checkout, payments and orders: their services. The routes are FastEndpoints
/// endpoints beside each use case.</summary>
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

        // Which provider may run where is checked before start-up (StartupChecks); here it is only chosen.
        if (PaymentsOptions.From(config).UsesTestProvider)
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
}
