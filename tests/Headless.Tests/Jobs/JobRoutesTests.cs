using System.Net;
using Headless.Api.Platform.Jobs;
using Headless.Contracts.Admin;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Jobs;

/// <summary>The admin job routes. Jobs of a kind no handler runs stay queued, so their state is the test's.</summary>
public sealed class JobRoutesTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();

    private async Task<Guid> EnqueueAsync(string kind)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return await JobStore.EnqueueAsync(conn, null, kind, null, "user:test");
    }

    [Fact]
    public async Task Jobs_are_listed_newest_first_in_keyset_pages()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await EnqueueAsync("list-test"));
        }
        var first = await (await _admin.GetAsync("/api/v1/admin/jobs?kind=list-test&limit=3")).ReadAsync<JobPage>();
        var second = await (await _admin.GetAsync($"/api/v1/admin/jobs?kind=list-test&limit=3&cursor={first.NextCursor}")).ReadAsync<JobPage>();

        // Newest first by creation time; two jobs made in the same millisecond may come in either order (UUIDv7's
        // random bits), so check that both pages together hold each job exactly once.
        var listed = first.Items.Concat(second.Items).Select(j => j.Id).ToList();
        Assert.Equal(ids.Order(), listed.Order());
        Assert.Null(second.NextCursor);
        Assert.All(first.Items, j => Assert.Equal(("queued", (int?)null), (j.Status, j.Percent)));

        await (await _admin.GetAsync("/api/v1/admin/jobs?limit=101")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await _admin.GetAsync("/api/v1/admin/jobs?status=done")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await _admin.GetAsync("/api/v1/admin/jobs?cursor=nonsense")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_job_is_read_and_cancelled_and_a_finished_job_cannot_be_cancelled()
    {
        var id = await EnqueueAsync("cancel-test");
        var job = await (await _admin.GetAsync($"/api/v1/admin/jobs/{id}")).ReadAsync<Job>();
        Assert.Equal(("cancel-test", "queued", "user:test"), (job.Kind, job.Status, job.CreatedBy));

        var cancelled = await (await _admin.PostAsync($"/api/v1/admin/jobs/{id}/cancellation", null)).ReadAsync<Job>(HttpStatusCode.Accepted);
        Assert.Equal(("cancelled", true), (cancelled.Status, cancelled.CancelRequested));
        Assert.NotNull(cancelled.FinishedAt);

        await (await _admin.PostAsync($"/api/v1/admin/jobs/{id}/cancellation", null)).ProblemAsync(HttpStatusCode.Conflict);
        await (await _admin.GetAsync($"/api/v1/admin/jobs/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _admin.PostAsync($"/api/v1/admin/jobs/{Guid.NewGuid()}/cancellation", null)).ProblemAsync(HttpStatusCode.NotFound);

        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(1L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn,
            "select count(*) from audit_log where action = 'job.cancellation-requested' and entity_id = @id", new { id = id.ToString() }));
    }
}
