using FastEndpoints;

namespace Headless.Api.Platform.Endpoints;

/// <summary>FastEndpoints for every route: discovery, the JSON options the rest of the API uses, and
/// the problem documents for bad input that FastEndpoints catches itself (JSON it cannot read, values
/// it cannot bind, failed validators).</summary>
public static class EndpointsSetup
{
    public static IServiceCollection AddHeadlessEndpoints(this IServiceCollection services) =>
        services.AddFastEndpoints(o => o.Assemblies = [typeof(EndpointsSetup).Assembly]);

    public static WebApplication UseHeadlessEndpoints(this WebApplication app)
    {
        app.UseMiddleware<JsonBodiesOnly>();
        app.UseMiddleware<Http.IfMatchRequired>();
        // FastEndpoints copies the JSON options registered with ConfigureHttpJsonOptions (source-generated
        // contracts, strict numbers), so requests are read exactly as typed results are written.
        app.UseFastEndpoints(c =>
        {
            c.Binding.JsonExceptionTransformer = BadInputProblems.FromJsonException;
            c.Binding.FailureMessage = (_, _, _) => BadInputProblems.UnreadableValue;
            c.Errors.ResponseBuilder = BadInputProblems.Build;
            // Field paths are made camelCase part by part in BadInputProblems; FastEndpoints' own renaming
            // would turn "Body.Slug" into "body.Slug" before it strips the body prefix.
            c.Validation.UsePropertyNamingPolicy = false;
            c.Errors.ProducesMetadataType = typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails);
        });
        return app;
    }
}
