namespace Headless.Api.Features.Webhooks;

/// <summary>The Standard Webhooks example schedule: after the first try, 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, then every 10 h until the delivery is <see cref="WebhooksOptions.GiveUpAfter"/> old (three
/// days: about ten tries). Each wait gets ±20 % jitter so a receiver that comes back is not hit by every
/// queued retry in the same second.</summary>
public static class WebhookRetrySchedule
{
    private static readonly TimeSpan[] Waits =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10),
    ];

    /// <summary>The wait after failed try number <paramref name="attempt"/> (1-based).</summary>
    public static TimeSpan After(int attempt, double jitter01)
    {
        var wait = Waits[Math.Clamp(attempt - 1, 0, Waits.Length - 1)];
        return wait * (0.8 + (0.4 * jitter01));
    }

    /// <summary>How long <c>Retry-After</c> (seconds or an HTTP date) asks to wait, capped at a day; null when absent or unreadable.</summary>
    public static TimeSpan? RetryAfter(System.Net.Http.Headers.RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        var wait = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };
        return wait is null ? null : TimeSpan.FromTicks(Math.Clamp(wait.Value.Ticks, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromDays(1).Ticks));
    }
}
