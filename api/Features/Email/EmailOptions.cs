using Headless.Api.Platform.Hosting;

namespace Headless.Api.Features.Email;

/// <summary>`Headless:Email`. With no SMTP host, mail is written as `.eml` files to a pickup folder
/// (`.data/mail` by default) so a local run needs nothing else.</summary>
public sealed class EmailOptions
{
    public const string Section = "Headless:Email";

    /// <summary>Shown in every mail's header and as the sender's name.</summary>
    public string ShopName { get; set; } = "Headless Shop";

    public string From { get; set; } = "shop@headless.local";

    /// <summary>Where the pickup transport writes `.eml` files; empty means `&lt;repo&gt;/.data/mail`.</summary>
    public string PickupDirectory { get; set; } = "";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Set from `Headless:Payments` (not configured here): the built-in test payment provider is on,
    /// so every mail carries a TEST MODE notice.</summary>
    internal bool TestMode { get; set; }

    internal string ShopNameOrDefault => string.IsNullOrWhiteSpace(ShopName) ? "Headless Shop" : ShopName;

    internal string FromOrDefault => string.IsNullOrWhiteSpace(From) ? "shop@headless.local" : From;

    internal string PickupDirectoryOrDefault => Path.GetFullPath(
        string.IsNullOrWhiteSpace(PickupDirectory) ? Path.Combine(RepoPaths.Data, "mail") : PickupDirectory);

    internal bool UsesSmtp => !string.IsNullOrWhiteSpace(Smtp.Host);
}

/// <summary>`Headless:Email:Smtp`. `EnableSsl` means STARTTLS (System.Net.Mail has no implicit TLS on 465):
/// for SES use port 587 with EnableSsl=true and the SMTP credentials.</summary>
public sealed class SmtpOptions
{
    public string Host { get; set; } = "";
    public int Port { get; set; } = 25;
    public bool EnableSsl { get; set; }
    public string User { get; set; } = "";
    public string Password { get; set; } = "";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
