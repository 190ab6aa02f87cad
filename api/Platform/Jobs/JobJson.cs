using System.Text.Json;
using System.Text.Json.Serialization;
using Headless.Contracts.Admin;

namespace Headless.Api.Platform.Jobs;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(List<JobError>))]
internal sealed partial class JobJson : JsonSerializerContext;
