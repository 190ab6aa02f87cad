using System.Reflection;
using System.Text.Json;
using NJsonSchema.Generation;

namespace Headless.Api.Platform.OpenApi;

/// <summary>
/// The contracts are positional records. A response record writes every constructor parameter (null
/// when it has no value), so the document lists each as required and generated clients type them as
/// present. Request records are left alone: their fields are all nullable on purpose (a missing field
/// is a field error, or "unchanged" in a PATCH), and what must be sent comes from their validators.
/// </summary>
internal sealed class RecordParametersAreRequired : ISchemaProcessor
{
    public void Process(SchemaProcessorContext context)
    {
        var type = context.ContextualType.Type;
        if (type.Namespace?.StartsWith("Headless.Contracts", StringComparison.Ordinal) != true)
        {
            return;
        }
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault();
        var parameters = constructor?.GetParameters() ?? [];
        var nullability = new NullabilityInfoContext();
        if (parameters.All(p => Nullable.GetUnderlyingType(p.ParameterType) is not null || nullability.Create(p).WriteState == NullabilityState.Nullable))
        {
            return;
        }
        foreach (var parameter in parameters)
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!);
            if (!parameter.HasDefaultValue && context.Schema.Properties.TryGetValue(name, out var property))
            {
                property.IsRequired = true;
            }
        }
    }
}
