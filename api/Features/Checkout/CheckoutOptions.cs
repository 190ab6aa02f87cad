namespace Headless.Api.Features.Checkout;

public sealed class CheckoutOptions
{
    public const string Section = "Headless:Checkout";

    /// <summary>How long a checkout holds its stock while the shopper pays.</summary>
    public int ReservationMinutes { get; set; } = 15;

    /// <summary>How often the sweeper looks for expired reservations.</summary>
    public int SweepIntervalSeconds { get; set; } = 30;
}
