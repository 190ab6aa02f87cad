using FastEndpoints;
using FluentValidation;

namespace Headless.Api.Platform.Endpoints;

/// <summary>A request whose JSON body is one of the published contract records (contracts/); route,
/// query and header values bind beside it on the derived request.</summary>
public abstract class JsonBody<TBody> where TBody : class
{
    [FromBody]
    public TBody Body { get; set; } = null!;
}

/// <summary>Validates a <see cref="JsonBody{TBody}"/> with the body's rules (the contract's
/// AbstractValidator, from DI). Field names come out as the caller wrote them ("variants[0].price"),
/// since FastEndpoints drops the "Body." prefix.</summary>
public abstract class JsonBodyValidator<TRequest, TBody> : Validator<TRequest>
    where TRequest : JsonBody<TBody>
    where TBody : class
{
    protected JsonBodyValidator(IValidator<TBody> rules)
    {
        RuleFor(r => r.Body).NotNull().WithMessage("A JSON body is required.").OverridePropertyName("$");
        RuleFor(r => r.Body).SetValidator(rules).When(r => r.Body is not null);
    }
}
