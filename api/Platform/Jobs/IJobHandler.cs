namespace Headless.Api.Platform.Jobs;

/// <summary>The work of one kind of job. Registered with <c>services.AddJobHandler&lt;T&gt;()</c>; the
/// <see cref="JobRunner"/> of any instance calls <see cref="RunAsync"/> for each job of <see cref="Kind"/> it claims.
/// <para>Report progress through the context (it writes at most every ~250 ms), look at
/// <see cref="JobContext.CancellationRequested"/> between items and return early when it is set. Returning
/// finishes the job (succeeded, or cancelled when cancellation was requested); throwing fails it
/// (<see cref="JobFailedException"/>'s message is shown to the user, any other exception only by type).
/// The token is cancelled when the instance shuts down.</para></summary>
public interface IJobHandler
{
    /// <summary>The job kind this handler runs, e.g. "product-import"; stored in `jobs.kind`.</summary>
    string Kind { get; }

    /// <summary>True when running a job again from the start after its instance died (or was stopped)
    /// is safe: the work is idempotent. Such a job is queued again; any other is failed, saying why.</summary>
    bool Resumable => false;

    Task RunAsync(JobContext context, CancellationToken ct);
}

/// <summary>Fails the job with a message meant for the person who started it.</summary>
public sealed class JobFailedException(string message) : Exception(message);
