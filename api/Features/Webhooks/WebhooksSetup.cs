using Headless.Api.Platform.Outbox;
using Npgsql;

namespace Headless.Api.Features.Webhooks;

public static class WebhooksSetup
{
    /// <summary>Registers outbound webhooks: the fan-out (an outbox consumer), the sender and the delivery-log
    /// pruner as hosted services, the way the other outbox consumers are registered.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<WebhooksOptions>().Bind(config.GetSection(WebhooksOptions.Section));
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookSettlement>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton(sp => new WebhookFanOut(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<WebhookSender>(),
            FanOutOptions(sp.GetRequiredService<IConfiguration>()),
            sp.GetRequiredService<ILogger<WebhookFanOut>>()));
        services.AddHostedService(sp => sp.GetRequiredService<WebhookFanOut>());
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());
        services.AddSingleton<WebhookLogPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookLogPruner>());
        return services;
    }

    /// <summary>The fan-out polls every 200 ms unless configured, like the search indexer: an event becomes
    /// readable only when every older transaction has finished, which raises no notification. It reads up to
    /// 1,000 events a round unless configured: a round costs two statements however many it has.</summary>
    private static OutboxConsumerOptions FanOutOptions(IConfiguration config)
    {
        var options = OutboxConsumerOptions.For(config, WebhookFanOut.ConsumerName);
        if (config[$"{OutboxConsumerOptions.Section}:BatchSize"] is null
            && config[$"{OutboxConsumerOptions.Section}:Consumers:{WebhookFanOut.ConsumerName}:BatchSize"] is null)
        {
            options.BatchSize = 1000;
        }
        if (config[$"{OutboxConsumerOptions.Section}:PollInterval"] is null
            && config[$"{OutboxConsumerOptions.Section}:Consumers:{WebhookFanOut.ConsumerName}:PollInterval"] is null)
        {
            options.PollInterval = TimeSpan.FromMilliseconds(200);
        }
        return options;
    }
}
