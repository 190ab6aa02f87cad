// `./build.sh sdk-pack` copies this over a fresh `dotnet new console` that installs Headless.Client from
// .data/packages: it calls the client through a canned handler (no API needed) and checks the request and
// the parsed answer.
using System.Net;
using System.Text;
using Headless.Sdk;

var handler = new Canned();
using var http = new HttpClient(handler) { BaseAddress = new Uri("https://shop.example/") };
IHeadlessClient client = new HeadlessClient(http);
var page = await client.GetCatalogChangesAsync(since: "Ni42", limit: 10);
var change = page.Changes.Single();
if (handler.Asked != "/api/v1/catalog/changes?since=Ni42&limit=10" || change.Type != "inventory.changed" || page.NextCursor != "Ny43")
{
    Console.Error.WriteLine($"Unexpected: asked {handler.Asked}, got {change.Type} {page.NextCursor}");
    return 1;
}
Console.WriteLine($"Headless.Client {typeof(HeadlessClient).Assembly.GetName().Version}: GetCatalogChangesAsync read {change.Type} of {change.EntityId}.");
return 0;

sealed class Canned : HttpMessageHandler
{
    public string? Asked { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Asked = request.RequestUri!.PathAndQuery;
        const string Feed = """{"changes":[{"id":7,"type":"inventory.changed","entityType":"product","entityId":"0193a1f0-0000-7000-8000-000000000001","occurredAt":"2026-12-04T19:40:21Z"}],"nextCursor":"Ny43","hasMore":false}""";
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Feed, Encoding.UTF8, "application/json") });
    }
}
