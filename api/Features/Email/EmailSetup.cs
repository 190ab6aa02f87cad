using Headless.Api.Features.Payments;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Email;

public static class EmailSetup
{
    /// <summary>Registers the sender (SMTP or pickup folder, from `Headless:Email`) and the email outbox
    /// consumer as a hosted service.</summary>
    public static IServiceCollection AddEmail(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<EmailOptions>().Bind(config.GetSection(EmailOptions.Section))
            .PostConfigure(o => o.TestMode = PaymentsOptions.From(config).UsesTestProvider);
        services.AddSingleton<EmailSender>();
        services.AddSingleton(sp => new EmailConsumer(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<EmailSender>(),
            sp.GetRequiredService<IOptions<EmailOptions>>(),
            sp.GetRequiredService<Platform.Vaults.PersonalDataVault>(),
            ConsumerOptions(sp.GetRequiredService<IConfiguration>()),
            sp.GetRequiredService<ILogger<EmailConsumer>>()));
        services.AddHostedService(sp => sp.GetRequiredService<EmailConsumer>());
        return services;
    }

    /// <summary>The email consumer's retry schedule: a relay that is down (connection refused, timeouts, 4xx) is
    /// waited out for over an hour, 1 s doubling to one try every 5 minutes (+0–20 % jitter), 22 tries in all
    /// (<see cref="OutboxConsumerOptions.RetryWindow"/>: 68 min), before the mail is dead-lettered. A provider's
    /// outage of minutes must not lose order confirmations, and one try per 5 minutes does not hammer a relay
    /// that is coming back. Up to 8 mails are sent at once (`MaxConcurrentHandlers`): one SMTP session per mail
    /// spends most of its time waiting on the relay, and one at a time could not keep up with a sale's order
    /// confirmations (the Black Friday drill). `Headless:Outbox:Consumers:email:*` overrides it (lower it to stay
    /// inside a relay's sending quota).</summary>
    public static OutboxConsumerOptions ConsumerOptions(IConfiguration config) =>
        OutboxConsumerOptions.For(config, EmailConsumer.ConsumerName, o =>
        {
            o.MaxAttempts = 22;
            o.RetryBaseDelay = TimeSpan.FromSeconds(1);
            o.RetryMaxDelay = TimeSpan.FromMinutes(5);
            o.RetryJitter = 0.2;
            o.MaxConcurrentHandlers = 8;
        });
}
