using System.Net.Mail;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Npgsql;

namespace Headless.Api.Platform.Outbox;

/// <summary>Describes a failure without personal data. Exception messages can carry addresses (an SMTP
/// "mailbox unavailable &lt;someone@example.com&gt;") or tokens, so logs get only the exception types and
/// their codes; the dead-letter table also gets the message, with anything like an email address masked.</summary>
public static partial class OutboxErrors
{
    /// <summary>E.g. `SmtpException(GeneralFailure) &lt;- SocketException(ConnectionRefused)`.</summary>
    public static string Describe(Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null && parts.Count < 4; e = e.InnerException)
        {
            parts.Add(e switch
            {
                SmtpException smtp => $"{e.GetType().Name}({smtp.StatusCode})",
                SocketException socket => $"{e.GetType().Name}({socket.SocketErrorCode})",
                PostgresException pg => $"{e.GetType().Name}({pg.SqlState})",
                _ => e.GetType().Name,
            });
        }
        return string.Join(" <- ", parts);
    }

    /// <summary>The description plus the (masked, shortened) message, for the dead-letter table.</summary>
    public static string ForStorage(Exception ex)
    {
        var message = EmailLike().Replace(ex.Message, "<redacted>");
        if (message.Length > 500)
        {
            message = message[..500];
        }
        return $"{Describe(ex)}: {message}";
    }

    [GeneratedRegex(@"[^\s<>""'(),;:]+@[^\s<>""'(),;:]+")]
    private static partial Regex EmailLike();
}
