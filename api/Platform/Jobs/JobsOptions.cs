namespace Headless.Api.Platform.Jobs;

/// <summary>How the job runner works, from `Headless:Jobs`.</summary>
public sealed class JobsOptions
{
    public const string Section = "Headless:Jobs";

    /// <summary>Jobs one instance runs at the same time.</summary>
    public int Concurrency { get; set; } = 2;

    /// <summary>Fallback poll when no NOTIFY arrives (a lost connection, a job queued again by recovery).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Progress is written at most this often (and on every heartbeat and at the end).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A running job's runner touches its heartbeat (and reads the cancel flag) this often even when
    /// the handler reports nothing.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A running job whose heartbeat is older than this is taken to have lost its instance.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Runs of a resumable job (the first included) before recovery fails it instead of queueing it again.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Errors kept per job (the count goes on past it).</summary>
    public int MaxErrors { get; set; } = 1000;

    public JobsOptions Validate()
    {
        if (Concurrency < 1 || MaxAttempts < 1 || MaxErrors < 1 || PollInterval <= TimeSpan.Zero || ProgressInterval < TimeSpan.Zero
            || HeartbeatInterval <= TimeSpan.Zero || StaleAfter <= HeartbeatInterval * 2)
        {
            throw new InvalidOperationException(
                "Headless:Jobs options are out of range: Concurrency, MaxAttempts and MaxErrors at least 1, PollInterval and HeartbeatInterval positive, StaleAfter more than twice HeartbeatInterval.");
        }
        return this;
    }
}
