using Microsoft.Playwright;

namespace Headless.Tests.AdminUi;

/// <summary>Moves focus with Tab alone, as a keyboard user does, until the focused element is the one wanted.</summary>
public static class KeyboardNavigation
{
    /// <summary><paramref name="isTarget"/> is a JavaScript predicate over the focused element.</summary>
    public static async Task TabUntilAsync(IPage page, string isTarget, int maxTabs = 150)
    {
        for (var i = 0; i < maxTabs; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>($"() => {{ const el = document.activeElement; return !!el && ({isTarget})(el); }}"))
            {
                return;
            }
        }
        Assert.Fail($"Tab never reached an element where {isTarget}.");
    }

    /// <summary>A predicate for a link or button whose visible text is <paramref name="text"/>.</summary>
    public static string Named(string text) =>
        $"el => (el.tagName === 'A' || el.tagName === 'BUTTON') && el.textContent.trim() === {System.Text.Json.JsonSerializer.Serialize(text)}";
}
