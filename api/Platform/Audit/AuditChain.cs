using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Platform.Audit;

/// <summary>
/// Checks the audit log's hash chain (migration 0009) from the first row to the head, recomputing every
/// hash here rather than trusting the database's own function, so an edited trigger or function cannot
/// vouch for itself.
///
/// What breaks where: a row deleted from the middle leaves a gap in seq (reported at the row after the
/// gap); rows swapped or renumbered no longer point at their predecessor's hash (prev_hash); a row whose
/// content was changed no longer matches its own hash; rows cut from the end leave the log shorter than
/// the head recorded in audit_chain_head (and in the daily head log line, for when the head row itself
/// was rewritten).
/// </summary>
public static class AuditChain
{
    public static readonly byte[] Genesis = new byte[32];

    public sealed class Row
    {
        public long Id { get; init; }
        public long Seq { get; init; }
        public long AtMicros { get; init; }
        public string Actor { get; init; } = "";
        public string Action { get; init; } = "";
        public string EntityType { get; init; } = "";
        public string EntityId { get; init; } = "";
        public string? Before { get; init; }
        public string? After { get; init; }
        public string? TraceId { get; init; }
        public byte[] PrevHash { get; init; } = [];
        public byte[] Hash { get; init; } = [];
    }

    /// <summary>The bytes the row's hash covers: the same serialisation as audit_row_hash in SQL.</summary>
    public static byte[] Canonical(Row r, byte[] prevHash)
    {
        var text = new StringBuilder("headless-audit-v1\n");
        foreach (var field in new[]
        {
            r.Seq.ToString(CultureInfo.InvariantCulture), r.AtMicros.ToString(CultureInfo.InvariantCulture),
            r.Actor, r.Action, r.EntityType, r.EntityId, r.Before, r.After, r.TraceId, Convert.ToHexStringLower(prevHash),
        })
        {
            text.Append(field is null ? "-\n" : $"{Encoding.UTF8.GetByteCount(field)}:{field}\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static byte[] HashOf(Row r, byte[] prevHash) => SHA256.HashData(Canonical(r, prevHash));

    public static async Task<AuditVerification> VerifyAsync(NpgsqlConnection conn, CancellationToken ct = default)
    {
        // One snapshot for the rows and the head, so rows committed during the check cannot look missing.
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var head = await conn.QuerySingleOrDefaultAsync<(long Seq, byte[] Hash)?>("select seq, hash from audit_chain_head", transaction: tx);
        var (headSeq, headHash) = head ?? (0, Genesis);
        var rows = conn.QueryUnbufferedAsync<Row>("""
            select id, seq, (extract(epoch from at) * 1000000)::bigint as atmicros, actor, action, entity_type as entitytype,
                   entity_id as entityid, before::text as before, after::text as after, trace_id as traceid, prev_hash as prevhash, hash
            from audit_log order by seq
            """, transaction: tx);
        long expected = 1, checkedRows = 0;
        var previous = Genesis;
        AuditBreak? broken = null;
        await foreach (var row in rows.WithCancellation(ct))
        {
            broken = row.Seq != expected
                ? new AuditBreak(row.Seq, row.Id, row.Seq > expected
                    ? $"seq {expected}{(row.Seq - 1 > expected ? $" to {row.Seq - 1}" : "")} missing before this row: rows were deleted"
                    : $"seq {row.Seq} repeats or goes backwards (expected {expected}): rows were renumbered")
                : !row.PrevHash.AsSpan().SequenceEqual(previous)
                    ? new AuditBreak(row.Seq, row.Id, $"prev_hash does not match the hash of seq {row.Seq - 1}: rows were reordered, replaced or renumbered")
                    : !row.Hash.AsSpan().SequenceEqual(HashOf(row, row.PrevHash))
                        ? new AuditBreak(row.Seq, row.Id, "content does not match its hash: the row was altered")
                        : null;
            if (broken is not null)
            {
                break;
            }
            checkedRows++;
            expected++;
            previous = row.Hash;
        }
        var last = expected - 1;
        if (broken is null && last != headSeq)
        {
            broken = last < headSeq
                ? new AuditBreak(last + 1, null, $"the log ends at seq {last} but the chain head records seq {headSeq}: rows were deleted from the end")
                : new AuditBreak(headSeq + 1, null, $"the log goes to seq {last} but the chain head records seq {headSeq}: the head was rewritten");
        }
        else if (broken is null && !previous.AsSpan().SequenceEqual(headHash))
        {
            broken = new AuditBreak(last, null, $"the hash of seq {last} differs from the chain head's: the head was rewritten");
        }
        await tx.CommitAsync(ct);
        return new AuditVerification(broken is null, checkedRows, headSeq, Convert.ToHexStringLower(headHash), broken);
    }
}
