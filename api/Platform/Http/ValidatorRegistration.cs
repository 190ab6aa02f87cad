using System.Reflection;
using FluentValidation;

namespace Headless.Api.Platform.Http;

public static class ValidatorRegistration
{
    /// <summary>Registers every concrete FluentValidation validator in the assembly as IValidator&lt;T&gt;:
    /// the rules of the contracts' bodies, which the endpoints' validators compose
    /// (<see cref="Endpoints.JsonBodyValidator{TRequest, TBody}"/>).</summary>
    public static IServiceCollection AddValidators(this IServiceCollection services, Assembly assembly)
    {
        var validators = assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsGenericTypeDefinition: false })
            .SelectMany(t => t.GetInterfaces()
                .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidator<>))
                .Select(i => (Service: i, Implementation: t)));
        foreach (var (service, implementation) in validators)
        {
            services.AddSingleton(service, implementation);
        }
        return services;
    }
}
