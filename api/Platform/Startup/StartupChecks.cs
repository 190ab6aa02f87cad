using Headless.Api.Features.Catalog;
using Headless.Api.Features.Email;
using Headless.Api.Features.Payments;
using Headless.Api.Platform.Hosting;

namespace Headless.Api.Platform.Startup;

/// <summary>
/// What must be configured before the API may start. Development runs on embedded defaults (a private
/// PostgreSQL, the test payment provider, the demo catalog, mail to a folder, unencrypted data-protection
/// keys). Every other environment fails closed: the process names every missing or unsafe setting at once
/// and exits with 1, rather than fall back to one of those defaults or die half-way with a stack trace.
/// </summary>
public static class StartupChecks
{
    public const int RefusedExitCode = 1;

    /// <summary>Everything wrong with the configuration for serving requests; empty when it may start.</summary>
    public static IReadOnlyList<string> ForServer(IConfiguration config, IHostEnvironment env)
    {
        var problems = new List<string>();
        problems.AddRange(ClientAddresses.Read(config).Errors);
        if (ServerRoles.Read(config).Error is { } role)
        {
            problems.Add(role);
        }
        problems.AddRange(Telemetry.MetricsAccess.Read(config).Errors);
        problems.AddRange(PaymentProviderProblems(config, requireStripeKeys: !env.IsDevelopment()));
        if (DataProtectionKeys.ConfigurationError(config) is { } keyEncryption)
        {
            problems.Add(keyEncryption);
        }
        if (env.IsDevelopment())
        {
            return problems;
        }
        problems.AddRange(DatabaseProblems(config, env));
        var payments = PaymentsOptions.From(config);
        if (string.IsNullOrWhiteSpace(payments.Provider) && payments.UsesTestProvider)
        {
            problems.Add("Headless__Payments__Stripe__SecretKey, Headless__Payments__Stripe__PublishableKey and Headless__Payments__Stripe__WebhookSecret: "
                + "no Stripe keys. The built-in test provider takes no money; it runs outside Development only when "
                + "Headless__Payments__Provider=test is set on purpose (every page and email then says TEST MODE).");
        }
        if (config.GetSection(CatalogOptions.Section).Get<CatalogOptions>() is not { LoadDemoCatalog: false })
        {
            problems.Add("Headless__Catalog__LoadDemoCatalog: the demo catalog would be loaded into the shop. Set it to false.");
        }
        if (!DataProtectionKeys.IsConfigured(config))
        {
            problems.Add("Headless__DataProtection__KmsKeyId (an AWS KMS key; region and credentials from the standard AWS configuration), or "
                + "Headless__DataProtection__CertificatePath (with __CertificatePassword) or Headless__DataProtection__CertificatePem "
                + "(with __PrivateKeyPem): no KMS key or certificate, so the data-protection keys that guard sign-in cookies, email links and "
                + "authenticator secrets would be stored unencrypted in the database.");
        }
        problems.AddRange(Vaults.Residency.ProductionProblems(config));
        problems.AddRange(Vaults.ErasureArchives.ProductionProblems(config));
        if (config.GetSection(EmailOptions.Section).Get<EmailOptions>() is not { UsesSmtp: true })
        {
            problems.Add("Headless__Email__Smtp__Host (with __Port, __User, __Password, __EnableSsl): no SMTP relay, so mail would "
                + "be written to a pickup folder and never reach anyone.");
        }
        return problems;
    }

    /// <summary>What an operator command needs: only the database (outside Development).</summary>
    public static IReadOnlyList<string> ForCommand(IConfiguration config, IHostEnvironment env) => DatabaseProblems(config, env).ToList();

    private static IEnumerable<string> DatabaseProblems(IConfiguration config, IHostEnvironment env)
    {
        if (!env.IsDevelopment() && string.IsNullOrWhiteSpace(config["Headless:Database:ConnectionString"]))
        {
            yield return "Headless__Database__ConnectionString: no database. The private local PostgreSQL under .data/ runs only in Development.";
        }
        if (env.IsDevelopment())
        {
            yield break;
        }
        foreach (var key in new[] { "Headless:Database:ConnectionString", "Headless:Database:MigrationConnectionString" })
        {
            if (config[key] is { Length: > 0 } cs && !DatabaseTls.IsVerifiedOrLocal(cs))
            {
                yield return $"{key.Replace(":", "__", StringComparison.Ordinal)}: the core database must be reached over TLS with the server's certificate "
                    + "verified (SSL Mode=VerifyFull), as the vaults are; only a loopback or Unix-socket host may go without.";
            }
        }
    }

    /// <param name="requireStripeKeys">Outside Development Stripe must have all three keys; a developer trying
    /// Stripe's test mode may leave out the webhook secret.</param>
    private static IEnumerable<string> PaymentProviderProblems(IConfiguration config, bool requireStripeKeys)
    {
        var payments = PaymentsOptions.From(config);
        var provider = payments.Provider.Trim().ToLowerInvariant();
        if (provider is not ("" or "stripe" or PaymentsOptions.TestProviderName))
        {
            yield return $"Headless__Payments__Provider: '{payments.Provider}' is not a provider; use 'stripe' or 'test' (or leave it empty).";
            yield break;
        }
        if (payments.UsesTestProvider || !requireStripeKeys)
        {
            yield break;
        }
        foreach (var (name, value) in new[]
        {
            ("SecretKey", payments.Stripe.SecretKey), ("PublishableKey", payments.Stripe.PublishableKey), ("WebhookSecret", payments.Stripe.WebhookSecret),
        })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                yield return $"Headless__Payments__Stripe__{name}: Stripe takes the payments, and it needs this key.";
            }
        }
    }

    /// <summary>The refusal as the operator sees it on stderr: one line per setting, no stack trace.</summary>
    public static void Print(IReadOnlyList<string> problems, string environment, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"Headless refuses to start in the {environment} environment. Fix these settings:");
        foreach (var problem in problems)
        {
            output.WriteLine($"  - {problem}");
        }
        output.WriteLine("Development (ASPNETCORE_ENVIRONMENT=Development, as ./build.sh run sets) runs on embedded defaults instead; docs/security.md explains each setting.");
        output.WriteLine();
    }
}
