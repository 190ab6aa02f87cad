using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Platform;

/// <summary>Requests without any credential skip authentication (it could only make them anonymous);
/// requests with one are authenticated exactly as before.</summary>
public sealed class CredentialedAuthenticationTests(CredentialedAuthenticationTests.CountingApi api)
    : IClassFixture<CredentialedAuthenticationTests.CountingApi>
{
    [Fact]
    public async Task A_request_without_credentials_is_answered_without_authenticating()
    {
        var before = api.Authentications;
        var response = await api.CreateClient().GetAsync("/api/v1/products?limit=5");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, api.Authentications);
    }

    [Fact]
    public async Task A_request_with_an_api_key_is_authenticated_and_admitted()
    {
        var before = api.Authentications;
        var response = await api.Admin().GetAsync("/api/v1/admin/users");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(api.Authentications > before);
    }

    [Fact]
    public async Task A_request_with_a_cookie_is_authenticated()
    {
        var before = api.Authentications;
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/products?limit=5");
        request.Headers.Add("Cookie", "hl_session=not-a-session");
        var response = await api.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(api.Authentications > before);
    }

    [Fact]
    public async Task An_admin_route_without_credentials_still_answers_401()
    {
        var response = await api.CreateClient().GetAsync("/api/v1/admin/users");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_bad_bearer_token_is_still_refused()
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "hk_not-a-key");

        var response = await client.GetAsync("/api/v1/admin/users");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>The API with its authentication service wrapped to count AuthenticateAsync calls.</summary>
    public sealed class CountingApi : ApiFactory
    {
        private int _authentications;

        public int Authentications => Volatile.Read(ref _authentications);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                services.AddScoped<AuthenticationService>();
                services.AddScoped<IAuthenticationService>(sp => new CountingAuthenticationService(
                    sp.GetRequiredService<AuthenticationService>(), () => Interlocked.Increment(ref _authentications)));
            });
        }
    }

    private sealed class CountingAuthenticationService(IAuthenticationService inner, Action counted) : IAuthenticationService
    {
        public Task<AuthenticateResult> AuthenticateAsync(HttpContext context, string? scheme)
        {
            counted();
            return inner.AuthenticateAsync(context, scheme);
        }

        public Task ChallengeAsync(HttpContext context, string? scheme, AuthenticationProperties? properties) =>
            inner.ChallengeAsync(context, scheme, properties);

        public Task ForbidAsync(HttpContext context, string? scheme, AuthenticationProperties? properties) =>
            inner.ForbidAsync(context, scheme, properties);

        public Task SignInAsync(HttpContext context, string? scheme, ClaimsPrincipal principal, AuthenticationProperties? properties) =>
            inner.SignInAsync(context, scheme, principal, properties);

        public Task SignOutAsync(HttpContext context, string? scheme, AuthenticationProperties? properties) =>
            inner.SignOutAsync(context, scheme, properties);
    }
}
