namespace Headless.Api.Platform.Outbox;

/// <summary>How an <see cref="OutboxConsumer"/> reads and retries. Read from `Headless:Outbox`, then
/// overridden per consumer from `Headless:Outbox:Consumers:&lt;name&gt;` (e.g.
/// `Headless__Outbox__Consumers__email__MaxAttempts=12`).</summary>
public sealed class OutboxConsumerOptions
{
    public const string Section = "Headless:Outbox";

    /// <summary>Outbox rows read per transaction.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Tries per event (the first one included) before it goes to `outbox_failures`.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Fallback poll when no NOTIFY arrives: rows only become readable once every older
    /// transaction has finished, which raises no notification of its own.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a woken consumer waits before its round, on average (0.5 to 1.5 times this), so one round handles a burst of events.</summary>
    public TimeSpan WakeCoalesce { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Wait before the second try; it doubles per try up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Up to this fraction is added at random to each retry wait (0.2: 0–20 % longer), so instances and
    /// shops that failed together do not all come back to a recovering server in the same second.</summary>
    public double RetryJitter { get; set; }

    /// <summary>Events handled at once within a round, in windows of this many in outbox order (1: one at a time).
    /// A failure still holds back every event after it; those of its window that succeeded are handed out again
    /// with it, so only a consumer whose handler is idempotent and cheap to repeat (the email sender checks
    /// `email_deliveries`) should raise it.</summary>
    public int MaxConcurrentHandlers { get; set; } = 1;

    /// <summary>A round stops taking new events after this long and commits its progress.</summary>
    public TimeSpan MaxRoundDuration { get; set; } = TimeSpan.FromSeconds(1);

    public static OutboxConsumerOptions For(IConfiguration config, string consumer) => For(config, consumer, _ => { });

    /// <param name="defaults">The consumer's own defaults, applied before the configuration (which wins).</param>
    public static OutboxConsumerOptions For(IConfiguration config, string consumer, Action<OutboxConsumerOptions> defaults)
    {
        var options = new OutboxConsumerOptions();
        defaults(options);
        config.GetSection(Section).Bind(options);
        config.GetSection($"{Section}:Consumers:{consumer}").Bind(options);
        return options.Validate();
    }

    public OutboxConsumerOptions Validate()
    {
        if (BatchSize < 1 || MaxAttempts < 1 || MaxConcurrentHandlers is < 1 or > 64 || PollInterval <= TimeSpan.Zero || MaxRoundDuration <= TimeSpan.Zero || RetryBaseDelay < TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay
            || RetryJitter is < 0 or > 1 || double.IsNaN(RetryJitter))
        {
            throw new InvalidOperationException(
                "Outbox consumer options are out of range: BatchSize and MaxAttempts must be at least 1, MaxConcurrentHandlers from 1 to 64, PollInterval positive, RetryMaxDelay at least RetryBaseDelay, RetryJitter from 0 to 1.");
        }
        return this;
    }

    /// <summary>The wait after failed try number <paramref name="attempt"/> (1-based): base × 2^(attempt-1), capped.</summary>
    public TimeSpan RetryDelay(int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        return TimeSpan.FromMilliseconds(Math.Min(RetryBaseDelay.TotalMilliseconds * factor, RetryMaxDelay.TotalMilliseconds));
    }

    /// <summary><see cref="RetryDelay"/> plus its random share of <see cref="RetryJitter"/>: never shorter.</summary>
    public TimeSpan JitteredRetryDelay(int attempt) => RetryDelay(attempt) * (1 + RetryJitter * Random.Shared.NextDouble());

    /// <summary>The least time a failing event is retried before it is dead-lettered: the waits between its
    /// <see cref="MaxAttempts"/> tries, without jitter (which only adds). The outage it rides out.</summary>
    public TimeSpan RetryWindow => TimeSpan.FromTicks(Enumerable.Range(1, MaxAttempts - 1).Sum(a => RetryDelay(a).Ticks));
}
