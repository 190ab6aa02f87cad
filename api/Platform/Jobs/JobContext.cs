using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Headless.Contracts.Admin;
using Npgsql;

namespace Headless.Api.Platform.Jobs;

/// <summary>What a handler gets for one job: its id, input and file, and a way to report progress.
/// Reports are gathered in memory and written at most every <see cref="JobsOptions.ProgressInterval"/>
/// (and at each heartbeat and at the end), so reporting per item costs nothing. Each write also reads the
/// job's cancel flag into <see cref="CancellationRequested"/>. Safe to call from one handler thread while
/// the runner's heartbeat writes.</summary>
public sealed class JobContext
{
    private readonly NpgsqlDataSource _db;
    private readonly JobsOptions _options;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Stopwatch _sinceWrite = Stopwatch.StartNew();
    private int _processed, _succeeded, _failed, _errorCount, _storedErrors;
    private int? _total;
    private List<JobError> _errors = [];
    private volatile bool _cancelRequested;
    private volatile bool _lost;

    internal JobContext(NpgsqlDataSource db, JobsOptions options, ClaimedJob job)
    {
        _db = db;
        _options = options;
        JobId = job.Id;
        Kind = job.Kind;
        Attempt = job.Attempt;
        CreatedBy = job.CreatedBy;
        InputJson = job.InputJson;
        _storedErrors = job.StoredErrors;
    }

    public Guid JobId { get; }

    public string Kind { get; }

    /// <summary>1 on the first run; more when the job was queued again after its instance died.</summary>
    public int Attempt { get; }

    /// <summary>Who queued the job, as the audit log names actors (user:{id}, api-key:{id}).</summary>
    public string CreatedBy { get; }

    /// <summary>The job's input as stored (a JSON object).</summary>
    public string InputJson { get; }

    /// <summary>True once someone asked the job to stop (as of the last progress write or heartbeat, at most
    /// about a second old): finish the current item, then return.</summary>
    public bool CancellationRequested => _cancelRequested;

    /// <summary>True when recovery gave the job to another runner (this one was presumed dead): stop at once,
    /// nothing more this attempt writes will be kept.</summary>
    public bool Lost => _lost;

    /// <summary>The result summary stored when the job ends (the kind's own shape, shown by GET).</summary>
    public JsonObject? Result { get; set; }

    public T Input<T>(JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(InputJson, type) ?? throw new JobFailedException("The job's input is missing.");

    /// <summary>The file queued with the job, or null.</summary>
    public Task<byte[]?> ReadFileAsync(CancellationToken ct) => JobStore.ReadFileAsync(_db, JobId, ct);

    /// <summary>How many items the job will process, once known (percent is processed / total).</summary>
    public void SetTotal(int total)
    {
        lock (_gate)
        {
            _total = total;
        }
    }

    /// <summary>Records one error without counting an item (a bad cell found while validating a file).</summary>
    public void AddError(JobError error)
    {
        lock (_gate)
        {
            AddErrorLocked(error);
        }
    }

    /// <summary>Counts processed items (each succeeded or failed); errors name what failed and why.</summary>
    public ValueTask ReportAsync(int succeeded, int failed = 0, IEnumerable<JobError>? errors = null, CancellationToken ct = default)
    {
        lock (_gate)
        {
            _processed += succeeded + failed;
            _succeeded += succeeded;
            _failed += failed;
            foreach (var error in errors ?? [])
            {
                AddErrorLocked(error);
            }
        }
        return _sinceWrite.Elapsed >= _options.ProgressInterval ? new ValueTask(FlushAsync(ct)) : ValueTask.CompletedTask;
    }

    private void AddErrorLocked(JobError error)
    {
        _errorCount++;
        if (_storedErrors + _errors.Count < _options.MaxErrors)
        {
            _errors.Add(error);
        }
    }

    /// <summary>Writes what was reported since the last write (also the heartbeat) and reads the cancel flag.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _writing.WaitAsync(ct);
        try
        {
            Progress progress;
            lock (_gate)
            {
                progress = new Progress(_processed, _succeeded, _failed, _total, _errors, _errorCount);
                (_processed, _succeeded, _failed, _total, _errorCount) = (0, 0, 0, null, 0);
                _storedErrors += _errors.Count;
                _errors = [];
                _sinceWrite.Restart();
            }
            bool owned, cancel;
            try
            {
                (owned, cancel) = await JobStore.AddProgressAsync(_db, JobId, Attempt, progress, ct);
            }
            catch
            {
                // Not written: keep it for the next write.
                lock (_gate)
                {
                    _processed += progress.Processed;
                    _succeeded += progress.Succeeded;
                    _failed += progress.Failed;
                    _total ??= progress.Total;
                    _errorCount += progress.ErrorCount;
                    _storedErrors -= progress.Errors.Count;
                    _errors.InsertRange(0, progress.Errors);
                }
                throw;
            }
            _lost |= !owned;
            _cancelRequested |= cancel;
        }
        finally
        {
            _writing.Release();
        }
    }
}
