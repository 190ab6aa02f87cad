using System.Net;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.RateLimiting;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Features.Accounts;

public static class AccountsSetup
{
    public const string CsrfHeader = "X-CSRF-Token";
    private const string ForwardingScheme = "Headless";

    public static readonly string[] OAuthProviders = ["google", "facebook"];

    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration config)
    {
        var options = config.GetSection(AccountsOptions.Section).Get<AccountsOptions>() ?? new AccountsOptions();
        services.Configure<AccountsOptions>(config.GetSection(AccountsOptions.Section));
        services.AddSingleton(TimeProvider.System);

        services.AddHeadlessDataProtection(config);

        services.AddScoped<AccountsDb>();
        services.AddScoped<IUserStore<HeadlessUser>, UserStore>();
        services.AddScoped<IUserClaimsPrincipalFactory<HeadlessUser>, HeadlessClaimsFactory>();
        services.AddSingleton<Sessions>();
        services.AddScoped<SignIns>();
        services.AddSingleton<IClaimsTransformation, SessionCheck>();
        services.AddIdentityCore<HeadlessUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.SignIn.RequireConfirmedEmail = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireDigit = false;
                o.Password.RequiredUniqueChars = 4;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddSignInManager()
            // Only the token providers we use: links in emails and authenticator apps (no SMS or email codes).
            .AddTokenProvider<DataProtectorTokenProvider<HeadlessUser>>(TokenOptions.DefaultProvider)
            .AddTokenProvider<OneTimeAuthenticatorCodes>(TokenOptions.DefaultAuthenticatorProvider);
        services.Configure<DataProtectionTokenProviderOptions>(o => o.TokenLifespan = TimeSpan.FromMinutes(60));

        var secureCookies = options.PublicBaseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        var auth = services.AddAuthentication(o =>
            {
                o.DefaultScheme = ForwardingScheme;
                o.DefaultChallengeScheme = ApiKeyAuthenticationHandler.SchemeName;
                o.DefaultForbidScheme = ApiKeyAuthenticationHandler.SchemeName;
            })
            .AddPolicyScheme(ForwardingScheme, "API key, bearer token or cookie", o => o.ForwardDefaultSelector = http =>
            {
                var authorization = http.Request.Headers.Authorization.ToString();
                if (http.Request.Headers.ContainsKey("X-Api-Key") || authorization.StartsWith("Bearer " + ApiKeys.Prefix, StringComparison.Ordinal))
                {
                    return ApiKeyAuthenticationHandler.SchemeName;
                }
                return authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? IdentityConstants.BearerScheme : IdentityConstants.ApplicationScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddBearerToken(IdentityConstants.BearerScheme, o => o.BearerTokenExpiration = TimeSpan.FromMinutes(15))
            .AddCookie(IdentityConstants.ApplicationScheme, o =>
            {
                o.Cookie.Name = "hl_session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = secureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = Sessions.CookieLifetime;
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = ctx => { ctx.Response.StatusCode = 401; return Task.CompletedTask; };
                o.Events.OnRedirectToAccessDenied = ctx => { ctx.Response.StatusCode = 403; return Task.CompletedTask; };
            })
            // A social sign-in waiting for its second factor (Auth/SecondFactor.cs).
            .AddCookie(IdentityConstants.TwoFactorUserIdScheme, o =>
            {
                o.Cookie.Name = "hl_mfa_pending";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = secureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = Auth.SecondFactor.PendingLifetime;
                o.SlidingExpiration = false;
            })
            // SignInManager asks this scheme whether a browser is remembered for 2FA; we never remember one.
            .AddCookie(IdentityConstants.TwoFactorRememberMeScheme)
            .AddCookie(IdentityConstants.ExternalScheme, o =>
            {
                o.Cookie.Name = "hl_external";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = secureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromMinutes(10);
            });
        AddOAuth(auth, "google", "Google", options.Google, secureCookies);
        AddOAuth(auth, "facebook", "Facebook", options.Facebook, secureCookies);

        services.AddSingleton<IAuthorizationHandler, StaffAccessHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().AddRequirements(new StaffAccess([AccountRoles.Admin], [Scopes.Admin])))
            .AddPolicy(Policies.AdminInPerson, p => p.RequireAuthenticatedUser().AddRequirements(new StaffAccess([AccountRoles.Admin], [])))
            .AddPolicy(Policies.CatalogStaff, p => p.RequireAuthenticatedUser()
                .AddRequirements(new StaffAccess([AccountRoles.Admin, AccountRoles.Staff], [Scopes.Admin, Scopes.Catalog])))
            .AddPolicy(Policies.OrderStaff, p => p.RequireAuthenticatedUser()
                .AddRequirements(new StaffAccess([AccountRoles.Admin, AccountRoles.Staff], [Scopes.Admin, Scopes.Orders])))
            .AddPolicy(Policies.SignedIn, p => p.RequireAuthenticatedUser().RequireClaim(ClaimTypes.NameIdentifier)
                .RequireAssertion(ctx => ctx.User.Identity?.AuthenticationType != ApiKeyAuthenticationHandler.SchemeName));

        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfHeader;
            o.Cookie.Name = "hl_csrf";
            o.Cookie.SecurePolicy = secureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });

        services.AddSingleton<Platform.Http.SharedRateLimits>();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (ctx, ct) =>
            {
                ctx.HttpContext.Response.Headers.RetryAfter = "60";
                await ctx.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = ctx.HttpContext,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = 429,
                        Title = "Too many attempts",
                        Type = Platform.Problems.Problems.TypeBase + "rate-limited",
                        Detail = "Too many requests from your address. Wait a minute and try again.",
                    },
                });
            };
            AddPerIpLimit(o, RateLimits.Login, options.LoginPerMinute);
            AddPerIpLimit(o, RateLimits.Register, options.RegisterPerMinute);
            AddPerIpLimit(o, RateLimits.ForgotPassword, options.ForgotPasswordPerMinute);
        });
        return services;
    }

    // One budget in PostgreSQL for every instance behind the load balancer (SharedRateLimits), not one per process.
    private static void AddPerIpLimit(Microsoft.AspNetCore.RateLimiting.RateLimiterOptions o, string name, int perMinute) =>
        o.AddPolicy(name, http => RateLimitPartition.Get(
            http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            ip => http.RequestServices.GetRequiredService<Platform.Http.SharedRateLimits>().Limiter(name, ip, perMinute, TimeSpan.FromMinutes(1))));

    private static void AddOAuth(AuthenticationBuilder auth, string scheme, string displayName, OAuthProviderOptions provider, bool secureCookies)
    {
        if (!provider.Enabled)
        {
            return;
        }
        auth.AddOAuth(scheme, displayName, o =>
        {
            o.ClientId = provider.ClientId;
            o.ClientSecret = provider.ClientSecret;
            o.AuthorizationEndpoint = provider.AuthorizationEndpoint;
            o.TokenEndpoint = provider.TokenEndpoint;
            o.UserInformationEndpoint = provider.UserInformationEndpoint;
            o.CallbackPath = $"/api/v1/auth/external/{scheme}/callback";
            o.SignInScheme = IdentityConstants.ExternalScheme;
            o.UsePkce = true;
            o.SaveTokens = false;
            o.CorrelationCookie.SecurePolicy = secureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            // The provider returns with a top-level GET, so Lax is enough, and browsers drop SameSite=None without Secure.
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.Scope.Clear();
            var scopes = provider.Scopes.Length > 0 ? provider.Scopes : scheme == "google" ? ["openid", "email", "profile"] : ["email", "public_profile"];
            foreach (var s in scopes)
            {
                o.Scope.Add(s);
            }
            o.ClaimActions.MapJsonKey(ClaimTypes.NameIdentifier, scheme == "google" ? "sub" : "id");
            o.ClaimActions.MapJsonKey(ClaimTypes.Email, "email");
            o.ClaimActions.MapJsonKey(ClaimTypes.GivenName, scheme == "google" ? "given_name" : "first_name");
            o.ClaimActions.MapJsonKey(ClaimTypes.Surname, scheme == "google" ? "family_name" : "last_name");
            o.ClaimActions.MapJsonKey("email_verified", "email_verified");
            // Cancelled at the provider, a forged or replayed callback, a failed code exchange: a 401 problem, not a 500.
            o.Events.OnRemoteFailure = async ctx =>
            {
                ctx.HandleResponse();
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await ctx.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = ctx.HttpContext,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status401Unauthorized,
                        Title = "Social sign-in did not complete",
                        Type = Platform.Problems.Problems.TypeBase + "external-login-failed",
                        Detail = "The provider did not confirm who you are. Start again from the sign-in page.",
                    },
                });
            };
            o.Events.OnCreatingTicket = async ctx =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, ctx.Options.UserInformationEndpoint);
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ctx.AccessToken);
                using var response = await ctx.Backchannel.SendAsync(request, ctx.HttpContext.RequestAborted);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    ctx.Fail($"The {displayName} user information request failed ({(int)response.StatusCode}).");
                    return;
                }
                using var user = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ctx.HttpContext.RequestAborted));
                ctx.RunClaimActions(user.RootElement);
                if (scheme == "facebook" && ctx.Identity!.HasClaim(c => c.Type == ClaimTypes.Email))
                {
                    // Facebook only returns addresses it has verified.
                    ctx.Identity.AddClaim(new Claim("email_verified", "true"));
                }
            };
        });
    }

    /// <summary>Cookie-authenticated writes must carry the anti-forgery token from GET /api/v1/auth/csrf.</summary>
    public static IApplicationBuilder UseCsrfProtection(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var unsafeMethod = !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method);
        var viaCookie = http.User.Identity?.IsAuthenticated == true
            && !http.Request.Headers.ContainsKey("Authorization") && !http.Request.Headers.ContainsKey("X-Api-Key");
        if (unsafeMethod && viaCookie)
        {
            var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                http.Response.StatusCode = StatusCodes.Status403Forbidden;
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = 403,
                        Title = "Missing or invalid CSRF token",
                        Type = Platform.Problems.Problems.TypeBase + "csrf",
                        Detail = $"Browser sessions must send the token from GET /api/v1/auth/csrf in the {CsrfHeader} header on writes.",
                    },
                });
                return;
            }
        }
        await next(http);
    });
}

public static class RateLimits
{
    public const string Login = "login";
    public const string Register = "register";
    public const string ForgotPassword = "forgot-password";
}
