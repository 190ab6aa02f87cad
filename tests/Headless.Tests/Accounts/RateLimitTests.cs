using System.Net;
using System.Net.Http.Json;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts;

public sealed class StrictLimitsHost : AccountsHost
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Headless:Accounts:LoginPerMinute"] = "3";
        settings["Headless:Accounts:RegisterPerMinute"] = "2";
        settings["Headless:Accounts:ForgotPasswordPerMinute"] = "2";
    }
}

public sealed class RateLimitTests(StrictLimitsHost host) : IClassFixture<StrictLimitsHost>
{
    private static async Task<HttpStatusCode[]> BurstAsync(int count, Func<Task<HttpResponseMessage>> call)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            var response = await call();
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("60", response.Headers.RetryAfter!.ToString());
                await response.ProblemAsync(HttpStatusCode.TooManyRequests);
            }
        }
        return [.. statuses];
    }

    [Fact]
    public async Task Login_register_and_forgot_password_are_rate_limited_per_client()
    {
        var login = await BurstAsync(5, () => host.LoginRawAsync(AccountsHost.NewEmail(), "whatever password"));
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 3), HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], login);

        var register = await BurstAsync(3, () => host.Client().PostAsJsonAsync("/api/v1/auth/register",
            new RegisterRequest(AccountsHost.NewEmail(), AccountsHost.Password, null, null, null), Http.Json));
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], register);

        var forgot = await BurstAsync(3, () => host.Client().PostAsJsonAsync("/api/v1/auth/forgot-password", new ForgotPasswordRequest(AccountsHost.NewEmail()), Http.Json));
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], forgot);
    }
}
