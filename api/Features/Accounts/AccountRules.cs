using System.Buffers.Text;
using System.Net.Mail;
using System.Text;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts;

public static class AccountRules
{
    public static IRuleBuilderOptions<T, string?> EmailAddress<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty().WithMessage("An email address is required.")
        .MaximumLength(254)
        .Must(e => MailAddress.TryCreate(e, out var parsed) && parsed.Address == e!.Trim()).WithMessage("This is not an email address.");

    public static IRuleBuilderOptions<T, string?> Password<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty().WithMessage("A password is required.")
        .MaximumLength(200);

    public static IRuleBuilderOptions<T, string?> PersonName<T>(this IRuleBuilder<T, string?> rule) => rule
        .MaximumLength(100).Must(n => n is null || !n.Any(char.IsControl)).WithMessage("Names must not contain control characters.");

    /// <summary>Identity tokens go into links; base64url keeps them intact in a query string.</summary>
    public static string EncodeToken(string token) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(token));

    public static string? DecodeToken(string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 2000 || !Base64Url.IsValid(code))
        {
            return null;
        }
        return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(code));
    }

    public static Dictionary<string, string[]> PasswordErrors(IdentityResult result, string field) => new()
    {
        [field] = result.Errors.Select(e => e.Description).ToArray(),
    };

    /// <summary>Runs Identity's password policy without creating anything, so bad passwords are refused
    /// the same way whether or not the email is registered.</summary>
    public static async Task<IdentityResult> CheckPasswordPolicyAsync(UserManager<HeadlessUser> users, string password)
    {
        var errors = new List<IdentityError>();
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, new HeadlessUser(), password);
            errors.AddRange(result.Errors);
        }
        return errors.Count == 0 ? IdentityResult.Success : IdentityResult.Failed([.. errors]);
    }
}

public sealed class RegisterRequestValidator : AbstractValidator<RegisterRequest>
{
    public RegisterRequestValidator()
    {
        RuleFor(r => r.Email).EmailAddress();
        RuleFor(r => r.Password).Password();
        RuleFor(r => r.FirstName).PersonName();
        RuleFor(r => r.LastName).PersonName();
        RuleFor(r => r.Country).Must(c => c is null || Platform.Geography.Countries.IsCode(c.Trim().ToUpperInvariant()))
            .WithMessage("Use an ISO 3166-1 two-letter country code, like DE or US (or leave country out).");
    }
}

public sealed class LoginRequestValidator : AbstractValidator<LoginRequest>
{
    public LoginRequestValidator()
    {
        RuleFor(r => r.Email).NotEmpty().MaximumLength(254);
        RuleFor(r => r.Password).Password();
        RuleFor(r => r.TwoFactorCode).MaximumLength(12);
        RuleFor(r => r.RecoveryCode).MaximumLength(40);
    }
}

public sealed class SecondFactorRequestValidator : AbstractValidator<SecondFactorRequest>
{
    public SecondFactorRequestValidator()
    {
        RuleFor(r => r.TwoFactorCode).NotEmpty().When(r => string.IsNullOrWhiteSpace(r.RecoveryCode))
            .WithMessage("Send the 6-digit code from your authenticator app as twoFactorCode, or a recovery code as recoveryCode.");
        RuleFor(r => r.TwoFactorCode).MaximumLength(12);
        RuleFor(r => r.RecoveryCode).MaximumLength(40);
    }
}

public sealed class ConfirmEmailRequestValidator : AbstractValidator<ConfirmEmailRequest>
{
    public ConfirmEmailRequestValidator()
    {
        RuleFor(r => r.UserId).NotNull().WithMessage("The userId from the link is required.");
        RuleFor(r => r.Code).NotEmpty().WithMessage("The code from the link is required.").MaximumLength(2000);
    }
}

public sealed class EmailOnlyValidator : AbstractValidator<ForgotPasswordRequest>
{
    public EmailOnlyValidator() => RuleFor(r => r.Email).EmailAddress();
}

public sealed class ResendConfirmationRequestValidator : AbstractValidator<ResendConfirmationRequest>
{
    public ResendConfirmationRequestValidator() => RuleFor(r => r.Email).EmailAddress();
}

public sealed class ResetPasswordRequestValidator : AbstractValidator<ResetPasswordRequest>
{
    public ResetPasswordRequestValidator()
    {
        RuleFor(r => r.Email).EmailAddress();
        RuleFor(r => r.Code).NotEmpty().WithMessage("The code from the link is required.").MaximumLength(2000);
        RuleFor(r => r.NewPassword).Password();
    }
}

public sealed class RefreshRequestValidator : AbstractValidator<RefreshRequest>
{
    public RefreshRequestValidator() => RuleFor(r => r.RefreshToken).NotEmpty().MaximumLength(200);
}

public sealed class ChangePasswordRequestValidator : AbstractValidator<ChangePasswordRequest>
{
    public ChangePasswordRequestValidator()
    {
        RuleFor(r => r.CurrentPassword).Password();
        RuleFor(r => r.NewPassword).Password();
    }
}

public sealed class ReauthenticateRequestValidator : AbstractValidator<ReauthenticateRequest>
{
    public ReauthenticateRequestValidator() => RuleFor(r => r.Password).Password();
}
