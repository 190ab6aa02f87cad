using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Accounts.Social;

/// <summary>
/// A stand-in identity provider on 127.0.0.1: `node tests/tools/oidc-provider.mjs` (npm oidc-provider) with
/// one confidential client, headless-test / headless-secret. The login typed into its development sign-in
/// form picks the account: <c>alice</c>, <c>verified:&lt;email&gt;</c> or <c>unverified:&lt;email&gt;</c>.
/// Killed on dispose; it also exits by itself when this process goes away (its stdin closes).
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "headless-test";

    /// <summary>The client whose loopback redirect URI matches any port (the browser tests' shop).</summary>
    public const string BrowserClientId = "headless-browser-test";
    public const string ClientSecret = "headless-secret";

    private readonly NodeTool _node;

    private OidcProvider(NodeTool node)
    {
        _node = node;
        Port = node.Ready.GetProperty("port").GetInt32();
        Issuer = node.Ready.GetProperty("issuer").GetString()!;
    }

    public int Port { get; }

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string Issuer { get; }

    public string AuthorizationEndpoint => Issuer + "/auth";
    public string TokenEndpoint => Issuer + "/token";
    public string UserInformationEndpoint => Issuer + "/me";

    /// <summary>What the provider printed on stderr so far, for failure messages.</summary>
    public string Errors => _node.Errors;

    /// <param name="port">0 for any free port.</param>
    public static async Task<OidcProvider> StartAsync(int port = 0)
    {
        var provider = new OidcProvider(await NodeTool.StartAsync("tests/tools/oidc-provider.mjs", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await provider.WaitUntilReadyAsync(TimeSpan.FromSeconds(20));
        return provider;
    }

    /// <summary>Polls the discovery document until it answers and names the endpoints the API is configured with.</summary>
    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        string last = "";
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(Issuer + "/.well-known/openid-configuration");
                last = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var discovery = JsonDocument.Parse(last).RootElement;
                    if (discovery.GetProperty("issuer").GetString() != Issuer
                        || discovery.GetProperty("authorization_endpoint").GetString() != AuthorizationEndpoint
                        || discovery.GetProperty("token_endpoint").GetString() != TokenEndpoint
                        || discovery.GetProperty("userinfo_endpoint").GetString() != UserInformationEndpoint)
                    {
                        throw new InvalidOperationException($"The OIDC provider's endpoints are not the expected ones: {last}");
                    }
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            if (deadline.Elapsed > timeout || _node.HasExited)
            {
                throw new InvalidOperationException($"The OIDC provider at {Issuer} did not become ready: {last} {Errors}");
            }
            await Task.Delay(25);
        }
    }

    /// <summary>A browser's view of the provider: its own cookies, redirects followed by hand.</summary>
    public static HttpClient Browser() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            Timeout = TimeSpan.FromSeconds(15),
        };

    public ValueTask DisposeAsync() => _node.DisposeAsync();
}

/// <summary>The accounts host with Google sign-in pointed at the stand-in provider, started first so its
/// port is known when the app is built.</summary>
public sealed class SocialHost : AccountsHost
{
    public OidcProvider Provider { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Provider = await OidcProvider.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Headless:Accounts:Google:ClientId"] = OidcProvider.ClientId;
        settings["Headless:Accounts:Google:ClientSecret"] = OidcProvider.ClientSecret;
        settings["Headless:Accounts:Google:AuthorizationEndpoint"] = Provider.AuthorizationEndpoint;
        settings["Headless:Accounts:Google:TokenEndpoint"] = Provider.TokenEndpoint;
        settings["Headless:Accounts:Google:UserInformationEndpoint"] = Provider.UserInformationEndpoint;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Provider.DisposeAsync();
    }
}
