namespace Headless.Api.Features.Accounts.Admin;

/// <summary>What the customer list and detail share: which orders belong to a customer. Orders placed while
/// signed in carry the account id; guest orders of the same person (checkout finds the person by the email's blind
/// index) count once the account's address is confirmed (as in the personal-data export), so staff see the same
/// orders the customer would get. No plain email is compared: core has none (issue 15).</summary>
public static class CustomerQueries
{
    /// <summary>SQL condition on orders o for the user u.</summary>
    // Guest orders since the vaults carry no email: they name the person, the account's own once it has one (users.person_id).
    public const string OrdersOf = "(o.customer_id = u.id or (u.email_confirmed and o.person_id = u.person_id))";
}
