using FastEndpoints;

namespace Headless.Api.Platform.Endpoints;

/// <summary>Public and customer routes under /api/v1. Each endpoint still declares its own access
/// (AllowAnonymous or a policy): the group only adds the route prefix and the 500 every route can answer.</summary>
public sealed class PublicApi : Group
{
    public PublicApi() => Configure("api/v1", ep => ep.Description(b => b.ProducesProblem(StatusCodes.Status500InternalServerError)));
}

/// <summary>Staff routes under /api/v1/admin: every endpoint names the staff policy it needs.</summary>
public sealed class AdminApi : Group
{
    public AdminApi() => Configure("api/v1/admin", ep => ep.Description(b => b
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status500InternalServerError)));
}
