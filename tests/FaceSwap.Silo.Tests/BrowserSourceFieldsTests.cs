using FaceSwap.Engine.Tests;
using FaceSwap.Testing;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>The web page's reference and sources fields in a real browser (headless Chromium) against a real host.</summary>
[Trait("Category", "Browser")]
public sealed class BrowserSourceFieldsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Reference_fields_appear_with_reference_mode_and_errors_of_the_new_fields_land_beside_them()
    {
        using var browser = BrowserSession.Start();
        using var folder = new TemporaryDirectory("faceswap-browser-sources");
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath);
        await host.PutFileAsync("inbox/faces/src.jpg", TestAssets.Sample(3));
        await host.PutFileAsync("inbox/photos/group1.jpg", TestAssets.Sample(1));
        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "#key=" + Uri.EscapeDataString(ApiHost.SubmitKey)));
        browser.WaitUntil("the page shows the caller", UiTimeout, () => browser.ById("caller-name").Text == "studio");

        Assert.False(browser.ById("references").Displayed, "reference fields are hidden unless faces is 'reference'");
        browser.ById("faces").FindElement(By.CssSelector("option[value='reference']")).Click();
        Assert.True(browser.ById("references").Displayed);
        Assert.Equal("0.3", browser.ById("reference-distance").GetDomProperty("value"));

        // Reference mode without references, a distance out of range and a source folder without images: each error
        // is shown beside its own field.
        Fill(browser, "source", "inbox/faces/src.jpg");
        Fill(browser, "input", "inbox/photos/");
        Fill(browser, "output", "outbox/swapped/");
        Fill(browser, "reference-distance", "3");
        browser.ById("sources").SendKeys("inbox/faces/nobody/");
        browser.ById("submit-button").Click();
        browser.WaitUntil("the references field shows its error", UiTimeout, () => browser.ById("references-error").Displayed);
        Assert.Contains("at least one reference", browser.ById("references-error").Text, StringComparison.Ordinal);
        Assert.True(browser.ById("reference-distance-error").Displayed);
        Assert.Contains("(0, 2]", browser.ById("reference-distance-error").Text, StringComparison.Ordinal);
        Assert.Equal("true", browser.ById("references").GetAttribute("aria-invalid"));
        output.WriteLine($"screenshot: {browser.SaveFullPageScreenshot("reference-fields-errors")}");

        // A valid reference job with a source folder: the job's facts name the references and the sources.
        await host.PutFileAsync("inbox/faces/anna/front.jpg", TestAssets.Sample(3));
        Fill(browser, "references", "inbox/faces/src.jpg");
        Fill(browser, "reference-distance", "0.3");
        Fill(browser, "sources", "inbox/faces/anna/");
        Fill(browser, "consent", "browser-test release form #8");
        browser.ById("submit-button").Click();
        browser.WaitUntil("the new job is selected", UiTimeout, () => browser.ById("job").Displayed && browser.ById("job-id").Text.Length > 0);
        var facts = browser.ById("job-facts").Text;
        Assert.Contains("1 reference photo(s), distance 0.3", facts, StringComparison.Ordinal);
        Assert.Contains("inbox/faces/anna/", facts, StringComparison.Ordinal);
        Assert.False(browser.ById("references-error").Displayed);
        Assert.Empty(browser.PageErrors());
        output.WriteLine($"screenshot: {browser.SaveFullPageScreenshot("reference-fields-job")}");
    }

    private static void Fill(BrowserSession browser, string id, string value)
    {
        var input = browser.ById(id);
        input.Clear();
        input.SendKeys(value);
    }
}
