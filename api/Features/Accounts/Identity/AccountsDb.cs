using Headless.Api.Platform.Outbox;
using Npgsql;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>
/// Lets an endpoint run Identity's UserManager calls, its own SQL, the audit row and queued emails in
/// one transaction: while a unit of work is open, the user store uses its connection and transaction.
/// </summary>
public sealed class AccountsDb(NpgsqlDataSource db, Platform.Vaults.PersonalDataVault vault) : IAsyncDisposable, IDisposable
{
    private NpgsqlConnection? _conn;
    private NpgsqlTransaction? _tx;

    public NpgsqlDataSource DataSource => db;

    public async Task<WriteLog> BeginAsync(Actor actor, CancellationToken ct = default)
    {
        if (_tx is not null)
        {
            throw new InvalidOperationException("A unit of work is already open.");
        }
        _conn = await db.OpenConnectionAsync(ct);
        _tx = await _conn.BeginTransactionAsync(ct);
        // The vault keeps the mail an account write queues (EmailQueue).
        return new WriteLog(_conn, _tx, actor) { Vault = vault };
    }

    public async Task CommitAsync(CancellationToken ct = default)
    {
        await _tx!.CommitAsync(ct);
        await DisposeAsync();
    }

    /// <summary>The open unit of work's connection, or a fresh one the caller must dispose.</summary>
    internal async Task<Lease> LeaseAsync(CancellationToken ct)
    {
        if (_conn is not null)
        {
            return new Lease(_conn, _tx, owned: false);
        }
        return new Lease(await db.OpenConnectionAsync(ct), null, owned: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_tx is not null)
        {
            await _tx.DisposeAsync();
            _tx = null;
        }
        if (_conn is not null)
        {
            await _conn.DisposeAsync();
            _conn = null;
        }
    }

    /// <summary>Request scopes are disposed asynchronously; FastEndpoints builds every endpoint once at start
    /// (to read its configuration) in a scope it disposes synchronously, which needs this.</summary>
    public void Dispose()
    {
        _tx?.Dispose();
        _tx = null;
        _conn?.Dispose();
        _conn = null;
    }

    internal readonly struct Lease(NpgsqlConnection conn, NpgsqlTransaction? tx, bool owned) : IAsyncDisposable
    {
        public NpgsqlConnection Connection => conn;
        public NpgsqlTransaction? Transaction => tx;
        public ValueTask DisposeAsync() => owned ? conn.DisposeAsync() : ValueTask.CompletedTask;
    }
}
