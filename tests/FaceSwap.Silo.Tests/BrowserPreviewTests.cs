using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>
/// The submit form's "Preview N images" box in a real browser (headless Chromium) against a real host (issue 25 item 5):
/// a bad size is shown on the field, a good one starts a preview whose contact sheet the job's page then shows.
/// </summary>
[Trait("Category", "Browser")]
public sealed class BrowserPreviewTests(ITestOutputHelper output)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_preview_box_refuses_a_bad_size_on_its_field_and_a_preview_job_shows_its_contact_sheet()
    {
        using var browser = BrowserSession.Start();
        using var storage = new TemporaryDirectory("faceswap-browser-preview");
        await using var host = await ApiHost.StartAsync("local:" + storage.FullPath);
        await host.PutBytesAsync("inbox/faces/anna.jpg", TestPhotos.Small(3));
        await host.PutBytesAsync("inbox/shoot/day1/p1.jpg", TestPhotos.Small(1));
        await host.PutBytesAsync("inbox/shoot/day1/p2.jpg", TestPhotos.Small(2));
        await host.PutBytesAsync("inbox/shoot/day2/p3.jpg", TestPhotos.Small(4));

        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "#key=" + Uri.EscapeDataString(ApiHost.SubmitKey)));
        browser.WaitUntil("the page shows the caller", UiTimeout, () => browser.ById("caller-name").Text == "studio");
        Fill(browser, "source", "inbox/faces/anna.jpg");
        Fill(browser, "input", "inbox/shoot/");
        Fill(browser, "output", "outbox/shoot/");
        Fill(browser, "consent", "browser-test release form #9");

        // The size box is off until the preview is ticked; 0 comes back as the field's error, and no job starts.
        Assert.False(browser.ById("preview").Enabled);
        browser.ById("preview-on").Click();
        Assert.True(browser.ById("preview").Enabled);
        Fill(browser, "preview", "0");
        browser.ById("submit-button").Click();
        browser.WaitUntil("the preview field shows its error", UiTimeout, () => browser.ById("preview-error").Displayed);
        Assert.Contains("must be 1 to 100", browser.ById("preview-error").Text, StringComparison.Ordinal);
        Assert.Equal("true", browser.ById("preview").GetAttribute("aria-invalid"));
        Assert.True(browser.ById("job").GetAttribute("hidden") is not null, "no job may start from an invalid form");

        Fill(browser, "preview", "2");
        browser.ById("submit-button").Click();
        browser.WaitUntil("the preview completes", JobTimeout, () => browser.ById("job").Displayed && browser.ById("state").GetAttribute("data-state") == "completed");
        Assert.False(browser.ById("preview-error").Displayed);
        Assert.Contains("2 images chosen across the input's folders", browser.ById("job-facts").Text, StringComparison.Ordinal);
        Assert.Equal("2", browser.ById("count-ok").Text);

        // The contact sheet, fetched with the key, shown at its own width (800 px) and linked.
        browser.WaitUntil("the contact sheet is shown", UiTimeout, () =>
            browser.ById("contact-sheet-link").Displayed && Convert.ToInt64(browser.Script("return document.getElementById('contact-sheet').naturalWidth;")) == 800);
        Assert.Contains("Start the same job without preview", browser.ById("contact-sheet-note").Text, StringComparison.Ordinal);
        Assert.Empty(browser.PageErrors());
        output.WriteLine($"preview screenshot: {browser.SaveFullPageScreenshot("preview-contact-sheet")}");
    }

    private static void Fill(BrowserSession browser, string id, string value)
    {
        var input = browser.ById(id);
        input.Clear();
        input.SendKeys(value);
    }
}
