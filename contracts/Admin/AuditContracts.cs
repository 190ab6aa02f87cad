using System.Text.Json;

namespace Headless.Contracts.Admin;

/// <summary>One audit row: who did what to which entity, the entity before and after, and its place in the hash chain (client IPs are not listed).</summary>
public sealed record AuditEntry(
    long Seq,
    DateTimeOffset At,
    string Actor,
    string Action,
    string EntityType,
    string EntityId,
    JsonElement? Before,
    JsonElement? After,
    string? TraceId,
    string Hash);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? NextCursor);

/// <summary>The first row where the chain breaks: its sequence number, its id (null when the row is missing) and why.</summary>
public sealed record AuditBreak(long Seq, long? Id, string Reason);

/// <summary>A full check of the audit chain: intact is false when a row was altered, deleted or reordered, and firstBroken names the first broken row.</summary>
public sealed record AuditVerification(bool Intact, long RowsChecked, long HeadSeq, string HeadHash, AuditBreak? FirstBroken);
