using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Email;

/// <summary>Sends a rendered email with System.Net.Mail: a text/plain body plus a text/html alternative.
/// Over SMTP when `Headless:Email:Smtp:Host` is set, otherwise as an `.eml` file in the pickup folder.</summary>
public sealed class EmailSender(IOptions<EmailOptions> options)
{
    private readonly EmailOptions _options = options.Value;

    /// <summary>Where mail goes: "smtp host:port" or "pickup folder ..." (no credentials).</summary>
    public string Transport => _options.UsesSmtp
        ? $"smtp {_options.Smtp.Host}:{_options.Smtp.Port}"
        : $"pickup folder {_options.PickupDirectoryOrDefault}";

    /// <param name="messageId">The Message-ID, derived from the outbox event, so a duplicate is recognisable.</param>
    public async Task SendAsync(EmailRequest request, RenderedEmail rendered, string messageId, CancellationToken ct)
    {
        using var message = new MailMessage
        {
            From = new MailAddress(_options.FromOrDefault, _options.ShopNameOrDefault, Encoding.UTF8),
            Subject = rendered.Subject,
            SubjectEncoding = Encoding.UTF8,
            Body = rendered.Text,
            BodyEncoding = Encoding.UTF8,
            IsBodyHtml = false,
            HeadersEncoding = Encoding.UTF8,
        };
        message.To.Add(new MailAddress(request.To, request.ToName, Encoding.UTF8));
        message.Headers.Add("Message-ID", messageId);
        // RFC 3834: machine-sent, so vacation responders stay quiet.
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var html = AlternateView.CreateAlternateViewFromString(rendered.Html, Encoding.UTF8, MediaTypeNames.Text.Html);
        if (!_options.UsesSmtp)
        {
            // A file for people to read: plain 8-bit text, so links can be copied from it as they are.
            message.BodyTransferEncoding = TransferEncoding.EightBit;
            html.TransferEncoding = TransferEncoding.EightBit;
        }
        message.AlternateViews.Add(html);

        using var client = CreateClient();
        try
        {
            await client.SendMailAsync(message, ct);
        }
        catch (SmtpFailedRecipientException refused) when (IsPermanent(refused.StatusCode))
        {
            // The server refused this recipient for good (550 no such mailbox, 553 bad address): trying again
            // cannot help, and waiting would hold back every mail behind this one. Anything else (connection
            // refused, a timeout, a 4xx, a 5xx to the whole session) is the relay's and is retried.
            throw new OutboxEventRejectedException(
                $"The SMTP server refused the recipient permanently ({(int)refused.StatusCode} {refused.StatusCode}).", refused);
        }
    }

    /// <summary>An SMTP reply code of 5xx: a permanent failure (RFC 5321 §4.2.1).</summary>
    private static bool IsPermanent(SmtpStatusCode code) => (int)code is >= 500 and < 600;

    /// <summary>`&lt;email.{outboxId}.{createdAtMs}@{sender domain}&gt;`: the same event always gives the same
    /// id; the creation time keeps ids unique if outbox ids are ever handed out again (a restored database).</summary>
    public string MessageId(long outboxId, DateTime createdAtUtc)
    {
        var from = _options.FromOrDefault;
        var domain = from[(from.LastIndexOf('@') + 1)..];
        var ms = new DateTimeOffset(DateTime.SpecifyKind(createdAtUtc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        return string.Create(CultureInfo.InvariantCulture, $"<email.{outboxId}.{ms}@{domain}>");
    }

    private SmtpClient CreateClient()
    {
        if (!_options.UsesSmtp)
        {
            var folder = _options.PickupDirectoryOrDefault;
            Directory.CreateDirectory(folder);
            return new SmtpClient
            {
                DeliveryMethod = SmtpDeliveryMethod.SpecifiedPickupDirectory,
                PickupDirectoryLocation = folder,
            };
        }
        var smtp = _options.Smtp;
        var client = new SmtpClient(smtp.Host, smtp.Port)
        {
            DeliveryMethod = SmtpDeliveryMethod.Network,
            EnableSsl = smtp.EnableSsl,
            Timeout = (int)Math.Clamp(smtp.Timeout.TotalMilliseconds, 1000, int.MaxValue),
        };
        if (!string.IsNullOrEmpty(smtp.User))
        {
            client.Credentials = new NetworkCredential(smtp.User, smtp.Password);
        }
        return client;
    }
}
