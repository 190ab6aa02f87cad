using System.Net.Sockets;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Headless.Api.Platform.Problems;

/// <summary>
/// Tells a database that cannot be reached (restarting, failing over, out of connections) from a
/// query that went wrong. The first is the caller's cue to retry shortly, so it is a 503 with
/// Retry-After rather than a 500: a PostgreSQL restart under load used to surface as a burst of 500s.
/// </summary>
public static class DatabaseUnavailable
{
    public const int RetryAfterSeconds = 3;

    // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting
    // down), 53300 too_many_connections, class 08 connection exceptions.
    private static readonly HashSet<string> UnavailableStates = new(StringComparer.Ordinal)
    {
        PostgresErrorCodes.AdminShutdown, PostgresErrorCodes.CrashShutdown, PostgresErrorCodes.CannotConnectNow,
        PostgresErrorCodes.TooManyConnections,
    };

    // Npgsql gives this case no error code or exception type of its own, only its message.
    private const string NoSuitableHost = "No suitable host was found";

    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return UnavailableStates.Contains(pg.SqlState) || pg.SqlState.StartsWith("08", StringComparison.Ordinal);
                case NpgsqlException npgsql when npgsql.InnerException is SocketException or IOException or TimeoutException:
                    // Refused or broken connections, and a pool with no free connection in time.
                    return true;
                case NpgsqlException { InnerException: null } npgsql when npgsql.IsTransient:
                    return true;
                case NpgsqlException { InnerException: null } npgsql when npgsql.Message.StartsWith(NoSuitableHost, StringComparison.Ordinal):
                    // A multi-host pool (primary, standby; Target Session Attributes=primary) between the
                    // primary's death and the standby's promotion: every host answered, none is a primary.
                    return true;
                default:
                    continue;
            }
        }
        return false;
    }

    public static ProblemDetails Problem(HttpContext http)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Service temporarily unavailable",
            Type = Problems.TypeBase + "database-unavailable",
            Detail = $"The database cannot be reached right now. Retry in {RetryAfterSeconds} seconds (a write with the same Idempotency-Key, where the route takes one).",
        };
    }
}
