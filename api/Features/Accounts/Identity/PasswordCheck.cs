using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Identity;

public enum PasswordOutcome { Right, Wrong, LockedOut }

/// <summary>
/// The password step of signing in, built so that its answer and its time say nothing about whether an
/// address is registered: every caller that is turned away (no such account, wrong password, no password
/// because the account only signs in with Google, locked out) runs the password hasher exactly once, like
/// a real check does, and only the right password learns anything more about the account (that it is
/// unconfirmed, or wants a second factor).
/// </summary>
public static class PasswordCheck
{
    // A real hash of a random password in the hasher's own format and cost, made once per process, so
    // checking a password against it costs what checking against a stored hash costs.
    private static string? _dummyHash;

    public static async Task<PasswordOutcome> CheckAsync(UserManager<HeadlessUser> users, HeadlessUser? user, string password)
    {
        if (user is null || user.PasswordHash is null || await users.IsLockedOutAsync(user))
        {
            VerifyAgainstDummy(users, password);
            if (user is null)
            {
                return PasswordOutcome.Wrong;
            }
            if (await users.IsLockedOutAsync(user))
            {
                return PasswordOutcome.LockedOut;
            }
        }
        else if (await users.CheckPasswordAsync(user, password))
        {
            return PasswordOutcome.Right;
        }
        await users.AccessFailedAsync(user);
        return await users.IsLockedOutAsync(user) ? PasswordOutcome.LockedOut : PasswordOutcome.Wrong;
    }

    private static void VerifyAgainstDummy(UserManager<HeadlessUser> users, string password)
    {
        _dummyHash ??= users.PasswordHasher.HashPassword(new HeadlessUser(), Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));
        users.PasswordHasher.VerifyHashedPassword(new HeadlessUser(), _dummyHash, password);
    }
}
