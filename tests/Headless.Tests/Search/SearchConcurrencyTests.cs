using System.Net;
using Headless.Api.Features.Search;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Headless.Tests.Search;

/// <summary>One search at a time and one waiting: the third is turned away.</summary>
public sealed class OneSearchAtATimeApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Headless:Search:MaxConcurrentSearches", "1");
        builder.UseSetting("Headless:Search:SearchQueueLimit", "1");
    }
}

/// <summary>Searches take turns (SearchConcurrency): a few run their statements at once, the rest wait oldest first,
/// and a full queue answers 503 search-busy with Retry-After instead of piling more work onto PostgreSQL.</summary>
public sealed class SearchConcurrencyTests(OneSearchAtATimeApiFactory api) : IClassFixture<OneSearchAtATimeApiFactory>
{
    [Fact]
    public async Task A_search_waits_while_another_runs_and_one_beyond_the_queue_is_told_to_retry()
    {
        var admin = api.Admin();
        var bowl = await admin.CreateAsync("Zorvanthic Bowl");
        await admin.UntilFoundAsync("q=zorvanthic", bowl.Id);
        var gate = api.Services.GetRequiredService<SearchConcurrency>();
        var shopper = api.CreateClient();

        // The search index is locked: the first search takes the one turn and waits in PostgreSQL.
        await using var conn = await api.Db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var lockIndex = conn.CreateCommand())
        {
            lockIndex.CommandText = "lock table search_documents in access exclusive mode";
            await lockIndex.ExecuteNonQueryAsync();
        }
        var first = shopper.GetAsync("/api/v1/search?q=zorvanthic");
        await Eventually.WaitUntilAsync(() => gate.Now.Running == 1, TimeSpan.FromSeconds(10), "the first search holds the turn");
        var second = shopper.GetAsync("/api/v1/search?q=zorvanthic&sort=newest");
        await Eventually.WaitUntilAsync(() => gate.Now.Waiting == 1, TimeSpan.FromSeconds(10), "the second search waits for it");

        var third = await shopper.GetAsync("/api/v1/search?q=zorvanthic&sort=price_asc");
        var problem = await third.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.EndsWith("search-busy", problem["type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("1", third.Headers.RetryAfter?.ToString());
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        await tx.RollbackAsync();
        foreach (var answer in new[] { await first, await second })
        {
            var results = await answer.ReadAsync<Headless.Contracts.Search.SearchResults>();
            Assert.Equal(bowl.Id, Assert.Single(results.Items).Id);
        }
        Assert.Equal((0, 0), gate.Now);
    }

    [Fact]
    public async Task A_waiting_search_whose_caller_goes_away_gives_up_its_place_in_the_queue()
    {
        using var gate = new SearchConcurrency(Options.Create(new SearchOptions { MaxConcurrentSearches = 1, SearchQueueLimit = 1 }));
        var running = await gate.EnterAsync(CancellationToken.None);
        using var leaving = new CancellationTokenSource();
        var waiting = gate.EnterAsync(leaving.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await Assert.ThrowsAsync<SearchBusyException>(async () => await gate.EnterAsync(CancellationToken.None));

        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        var next = gate.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        running.Dispose();
        (await next).Dispose();
        Assert.Equal((0, 0), gate.Now);
    }
}
