using Headless.Api.Features.Orders;
using Headless.Contracts.Commerce;
using Headless.Storefront.Rendering;

namespace Headless.Tests.Platform;

/// <summary>Amounts are minor units in the currency's own exponent (ISO 4217): JPY has no decimals,
/// KWD three. Every formatter people see agrees.</summary>
public sealed class MoneyFormattingTests
{
    [Theory]
    [InlineData(1250, "EUR", "12.50")]
    [InlineData(1250, "JPY", "1250")]
    [InlineData(1250, "KWD", "1.250")]
    [InlineData(5, "BHD", "0.005")]
    [InlineData(-1250, "USD", "-12.50")]
    [InlineData(0, "JPY", "0")]
    public void Minor_units_use_each_currencys_exponent(long amount, string currency, string expected) =>
        Assert.Equal(expected, MinorUnits.Decimal(amount, currency));

    [Fact]
    public void Order_emails_show_yen_without_decimals()
    {
        Assert.Equal("1500 JPY", OrderEmails.Format(1500, "JPY"));
        Assert.Equal("15.00 EUR", OrderEmails.Format(1500, "EUR"));
        Assert.Equal("1.500 KWD", OrderEmails.Format(1500, "KWD"));
    }

    [Fact]
    public void The_storefront_shows_each_currency_in_its_own_decimals()
    {
        Assert.Equal("¥1,500", MoneyText.Format(1500, "JPY"));
        Assert.Equal("€1,234.50", MoneyText.Format(123450, "EUR"));
        Assert.Equal("KWD 1.500", MoneyText.Format(1500, "KWD"));
        Assert.Equal("ISK 1,500", MoneyText.Format(1500, "ISK"));
        Assert.Equal("1500", MoneyText.Plain(1500, "JPY"));
        Assert.Equal("1234.50", MoneyText.Plain(123450, "EUR"));
    }
}
