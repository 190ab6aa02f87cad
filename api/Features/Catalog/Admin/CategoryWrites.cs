using System.Text.Json;
using Dapper;
using FluentValidation;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;

namespace Headless.Api.Features.Catalog.Admin;

public static class CategoryWrites
{
    public static async Task<CategoryNode?> GetAsync(WriteLog log, Guid id, bool forUpdate = false)
    {
        var row = await log.Connection.QuerySingleOrDefaultAsync<Row>($"""
            select id, parent_id, slug, name, description, position, version from categories where id = @id{(forUpdate ? " for update" : "")}
            """, new { id }, log.Transaction);
        return row is null ? null : new CategoryNode(row.Id, row.Slug, row.Name, row.Description, row.ParentId, row.Position, row.Version, []);
    }

    public static Task<bool> SlugTakenAsync(WriteLog log, string slug, Guid? except = null) =>
        log.Connection.ExecuteScalarAsync<bool>(
            "select exists (select 1 from categories where slug = @slug and id is distinct from @except)", new { slug, except }, log.Transaction);

    public static Task<bool> ExistsAsync(WriteLog log, Guid id) =>
        log.Connection.ExecuteScalarAsync<bool>("select exists (select 1 from categories where id = @id)", new { id }, log.Transaction);

    public static async Task RecordAsync(WriteLog log, string action, Guid id, CategoryNode? before, CategoryNode? after)
    {
        await log.EventAsync(action, "category", id.ToString(), new() { ["slug"] = after?.Slug ?? before?.Slug });
        await log.AuditAsync(action, "category", id.ToString(), Json(before), Json(after));
    }

    private static string? Json(CategoryNode? node) => node is null ? null : JsonSerializer.Serialize(node, ApiJsonContext.Default.CategoryNode);

    private sealed record Row(Guid Id, Guid? ParentId, string Slug, string Name, string Description, int Position, int Version);
}

public sealed class CreateCategoryRequestValidator : AbstractValidator<CreateCategoryRequest>
{
    public CreateCategoryRequestValidator()
    {
        RuleFor(c => c.Slug).Slug();
        RuleFor(c => c.Name).NotEmpty().WithMessage("A name is required.").MaximumLength(100).Must(CatalogRules.NoControlCharacters);
        RuleFor(c => c.Description).MaximumLength(2_000);
        RuleFor(c => c.Position).InclusiveBetween(0, 10_000);
    }
}

public sealed class UpdateCategoryRequestValidator : AbstractValidator<UpdateCategoryRequest>
{
    public UpdateCategoryRequestValidator()
    {
        RuleFor(c => c.Slug).Slug().When(c => c.Slug is not null);
        RuleFor(c => c.Name).NotEmpty().MaximumLength(100).Must(CatalogRules.NoControlCharacters).When(c => c.Name is not null);
        RuleFor(c => c.Description).MaximumLength(2_000);
        RuleFor(c => c.Position).InclusiveBetween(0, 10_000);
        RuleFor(c => c.ParentId).Null().When(c => c.MoveToRoot == true).WithMessage("Send either parentId or moveToRoot, not both.");
    }
}
