using System.Reflection;
using System.Text.Json;
using NJsonSchema.Generation;

namespace Headless.Api.Platform.OpenApi;

/// <summary>
/// The contracts are positional records: every constructor parameter is always present in the JSON
/// (null when it has no value), so the document lists each as required, as the contract always has.
/// Generated clients then type a response's fields as present rather than optional.
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
        foreach (var parameter in constructor?.GetParameters() ?? [])
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!);
            if (!parameter.HasDefaultValue && context.Schema.Properties.TryGetValue(name, out var property))
            {
                property.IsRequired = true;
            }
        }
    }
}
