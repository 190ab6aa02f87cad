using Headless.Api.Features.Search.OpenSearch;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Search;

public static class SearchSetup
{
    /// <summary>Registers the engine chosen by `Headless:Search:Engine` (PostgreSQL unless `opensearch`),
    /// its index writer, the indexer (an outbox consumer) and the index-lag health check and gauge.</summary>
    public static IServiceCollection AddSearch(this IServiceCollection services, IConfiguration config)
    {
        var options = new SearchOptions();
        config.GetSection(SearchOptions.Section).Bind(options);
        options.Validate();
        services.AddSingleton(Options.Create(options));
        if (options.UsesOpenSearch)
        {
            services.AddSingleton(sp => OpenSearchClient.Create(options.OpenSearch, sp.GetRequiredService<ILogger<OpenSearchClient>>()));
            services.AddSingleton<OpenSearchEngine>();
            services.AddSingleton<ISearchEngine>(sp => sp.GetRequiredService<OpenSearchEngine>());
            services.AddSingleton<ISearchIndex, OpenSearchIndex>();
        }
        else
        {
            services.AddSingleton<ISearchEngine, PostgresSearchEngine>();
            services.AddSingleton<ISearchIndex, PostgresSearchIndex>();
        }
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SearchCountCache>();
        services.AddSingleton<SearchConcurrency>();
        services.AddSingleton<SearchService>();
        services.AddSingleton(sp => new SearchIndexer(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<ISearchIndex>(),
            IndexerOptions(sp.GetRequiredService<IConfiguration>(), SearchIndexer.ConsumerNameFor(sp.GetRequiredService<ISearchIndex>().Name)),
            sp.GetRequiredService<ILogger<SearchIndexer>>()));
        services.AddHostedService(sp => sp.GetRequiredService<SearchIndexer>());
        services.AddSingleton<SearchLag>();
        services.AddHealthChecks().AddCheck<SearchLag>("search", tags: ["ready"]);
        return services;
    }

    /// <summary>The outbox options of the indexer. Its poll defaults to 200 ms, not the outbox's 2 s: an
    /// event becomes readable only once every older transaction on the server has finished, which raises
    /// no notification, so a busy server would otherwise leave a change unindexed until the next poll.
    /// `Headless:Outbox:Consumers:search-postgres:PollInterval` (or the global one) overrides it.</summary>
    private static OutboxConsumerOptions IndexerOptions(IConfiguration config, string consumer)
    {
        var options = OutboxConsumerOptions.For(config, consumer);
        var configured = config[$"{OutboxConsumerOptions.Section}:PollInterval"] ?? config[$"{OutboxConsumerOptions.Section}:Consumers:{consumer}:PollInterval"];
        if (configured is null)
        {
            options.PollInterval = TimeSpan.FromMilliseconds(200);
        }
        return options;
    }
}
