namespace Headless.Api.Features.Webhooks;

/// <summary>Outbound webhook delivery, from `Headless:Webhooks`.</summary>
public sealed class WebhooksOptions
{
    public const string Section = "Headless:Webhooks";

    /// <summary>Lets endpoints use `http` and loopback addresses, so a receiver on the same machine works.
    /// Defaults to true in Development and false elsewhere; private, link-local, metadata, CGNAT and
    /// IPv6-ULA addresses are refused either way.</summary>
    public bool? AllowLocalReceivers { get; set; }

    /// <summary>How long the previous secret keeps signing (a second signature) after a rotation.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Deliveries in flight at once, per process. A slot is held for the whole attempt, the send and
    /// the (batched) recording of its outcome, so a process delivers at most Concurrency / attempt time. The
    /// recording takes one pooled connection per batch, not one per slot, so this may exceed the connection pool.</summary>
    public int Concurrency { get; set; } = 128;

    /// <summary>Deliveries in flight at once to one endpoint, per process: one slow receiver cannot take every
    /// slot, and a fast one gets this many kept-alive connections.</summary>
    public int PerEndpointConcurrency { get; set; } = 32;

    /// <summary>When every slot is busy the sender claims again once this many are free, so one claim statement
    /// leases a batch instead of one delivery per finished send.</summary>
    public int ClaimBatch { get; set; } = 32;

    /// <summary>Batches of finished sends recorded at once (each one transaction, taking one pooled connection).</summary>
    public int SettleWriters { get; set; } = 4;

    /// <summary>The whole attempt: connect, send, and read the status and the start of the answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Fallback poll for due retries when nothing wakes the sender.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A delivery is retried until it is this old, then marked failed; an endpoint whose attempts
    /// all failed for this long is disabled and the admins are emailed.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Deliveries and their attempts are deleted after this many days.</summary>
    public int RetentionDays { get; set; } = 30;
}
