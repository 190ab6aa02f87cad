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
            OutboxConsumerOptions.For(sp.GetRequiredService<IConfiguration>(), EmailConsumer.ConsumerName),
            sp.GetRequiredService<ILogger<EmailConsumer>>()));
        services.AddHostedService(sp => sp.GetRequiredService<EmailConsumer>());
        return services;
    }
}
