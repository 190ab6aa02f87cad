using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>The audit log screen as staff use it to find one action: the entity's id in the filter (as a
/// link to the entity's history would pass it), the action typed into the Action filter, the one row left
/// expanded to its before/after diff.</summary>
public static class AuditLogScreen
{
    /// <summary>Returns the expanded entry's diff (a table whose rows carry data-field).</summary>
    public static async Task<ILocator> FindAsync(IPage page, string entityId, string action, string? actor = null)
    {
        await page.GotoAsync($"/admin/audit?filter={Uri.EscapeDataString(JsonSerializer.Serialize(new { entityId }))}");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = entityId }).First).ToBeVisibleAsync();
        await page.GetByLabel("Action (e.g. discount-code.updated)").FillAsync(action);
        var rows = page.Locator(".RaDatagrid-tbody tr.RaDatagrid-row");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        var row = rows.Filter(new() { HasText = action });
        await Assertions.Expect(row).ToContainTextAsync(entityId);
        if (actor is not null)
        {
            await Assertions.Expect(row).ToContainTextAsync(actor);
        }
        await row.ClickAsync();
        var entry = page.Locator(".RaDatagrid-expandedPanel");
        await Assertions.Expect(entry).ToBeVisibleAsync();
        return entry;
    }

    /// <summary>The diff's row for one field (a path such as status or rates[0].amount).</summary>
    public static ILocator Field(ILocator entry, string path) => entry.Locator($"tr[data-field=\"{path}\"]");

    public static async Task ExpectChangeAsync(ILocator entry, string path, string before, string after)
    {
        await Assertions.Expect(Field(entry, path).Locator("del")).ToHaveTextAsync(before);
        await Assertions.Expect(Field(entry, path).Locator("ins")).ToHaveTextAsync(after);
    }

    public static readonly Regex AnyNumber = new("^[0-9]+$");
}
