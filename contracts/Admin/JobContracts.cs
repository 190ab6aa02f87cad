using System.Text.Json;

namespace Headless.Contracts.Admin;

/// <summary>One problem a job met: for a CSV import the cell (1-based row as a spreadsheet shows it, the header
/// being row 1, and the column's header), for other jobs the item (a SKU, a product id) it concerns.</summary>
public sealed record JobError(int? Row, string? Column, string? Item, string Message);

/// <summary>A background job as listed: what it is, where it stands, its counts.</summary>
public sealed record JobSummary(
    Guid Id,
    string Kind,
    string Status,
    int? Total,
    int Processed,
    int Succeeded,
    int Failed,
    int? Percent,
    int ErrorCount,
    bool CancelRequested,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

/// <summary>A background job in full: status (queued, running, succeeded, failed, cancelled), counts, percent
/// done (null while the total is not known yet), the first errors (errorCount counts them all) and the
/// kind's own result summary.</summary>
public sealed record Job(
    Guid Id,
    string Kind,
    string Status,
    int? Total,
    int Processed,
    int Succeeded,
    int Failed,
    int? Percent,
    int ErrorCount,
    IReadOnlyList<JobError> Errors,
    JsonElement? Result,
    bool CancelRequested,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int Version);

public sealed record JobPage(IReadOnlyList<JobSummary> Items, string? NextCursor);
