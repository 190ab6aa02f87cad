using System.Net;
using Dapper;
using Headless.Tests.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Headless.Tests.Platform;

/// <summary>Cart and order tokens are bearer secrets: no log line may carry one, including the lines
/// written when a request on a cart or order route fails.</summary>
public sealed class LogRedactionTests : IClassFixture<LogRedactionTests.Host>
{
    private readonly Host _host;

    public LogRedactionTests(Host host) => _host = host;

    public sealed class Host : ApiFactory
    {
        public CapturedLogs Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureLogging(l => l.AddProvider(Logs));
        }
    }

    [Fact]
    public async Task Cart_and_order_tokens_never_reach_the_logs_even_when_a_request_fails()
    {
        await Shop.PricingAsync(_host);
        var client = _host.CreateClient();
        var sku = await Shop.SkuAsync(_host.Admin(), stock: 5);
        var cart = await Shop.NewCartAsync(client, (sku, 1));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/carts/{cart.Token}")).StatusCode);
        var checkout = await Shop.CheckOutAsync(client, cart.Token);
        var orderUrl = $"/api/v1/orders/{checkout.Order.Id}";
        var read = new HttpRequestMessage(HttpMethod.Get, orderUrl);
        read.Headers.Add("X-Order-Token", checkout.OrderToken);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(read)).StatusCode);

        // Failures on both routes: the error log must name the route, not the token in the path or header.
        await using (var conn = await _host.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("alter table cart_lines rename to cart_lines_moved; alter table order_lines rename to order_lines_moved");
        }
        try
        {
            var failedCart = await client.GetAsync($"/api/v1/carts/{cart.Token}");
            var problem = await failedCart.ProblemAsync(HttpStatusCode.InternalServerError);
            Assert.DoesNotContain("cart_lines", problem.ToJsonString(), StringComparison.Ordinal);
            var failedOrder = new HttpRequestMessage(HttpMethod.Get, orderUrl + $"?token={checkout.OrderToken}");
            failedOrder.Headers.Add("X-Order-Token", checkout.OrderToken);
            var orderProblem = await (await client.SendAsync(failedOrder)).ProblemAsync(HttpStatusCode.InternalServerError);
            Assert.DoesNotContain("order_lines", orderProblem.ToJsonString(), StringComparison.Ordinal);
        }
        finally
        {
            await using var conn = await _host.Db.OpenConnectionAsync();
            await conn.ExecuteAsync("alter table cart_lines_moved rename to cart_lines; alter table order_lines_moved rename to order_lines");
        }

        var leaks = _host.Logs.Lines.Where(l => l.Text.Contains(cart.Token, StringComparison.Ordinal) || l.Text.Contains(checkout.OrderToken, StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, "token in logs: " + string.Join("\n", leaks.Select(l => $"{l.Category}: {l.Text}")));
        Assert.True(_host.Logs.Any(t => t.Contains("Unhandled error on GET /api/v1/carts/{cartToken}", StringComparison.Ordinal)),
            "the failure was not logged with its route: " + string.Join("\n", _host.Logs.Lines.Select(l => l.Text)));
    }
}
