using FaceSwap.Silo.Api.Security;
using FaceSwap.Testing;
using OpenQA.Selenium;

namespace FaceSwap.Silo.Tests;

/// <summary>The web page and the Orleans Dashboard still work in a real browser under the host's Content-Security-Policy.</summary>
[Trait("Category", "Browser")]
public sealed class ContentSecurityPolicyBrowserTests
{
    private static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(60);

    // Every violation the browser reports, recorded before the page's own scripts run.
    private const string ViolationRecorder = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')));
        """;

    [Fact]
    public async Task The_page_and_the_dashboard_render_with_no_content_security_policy_violation()
    {
        using var browser = BrowserSession.Start();
        using var folder = new TemporaryDirectory("faceswap-csp");
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath, "--FaceSwap:Host:LoadModelsAtStart=false");
        browser.Driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = ViolationRecorder });

        // The page signs in with the key from its fragment and shows the caller: its scripts and styles ran.
        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "#key=" + Uri.EscapeDataString(ApiHost.AdminKey)));
        browser.WaitUntil("the page shows the caller", UiTimeout, () => browser.ById("caller-name").Text == "ops");
        Assert.Empty(Violations(browser));

        // The dashboard, with the admin key on every request as a header-setting proxy or extension would send it.
        browser.Driver.ExecuteCdpCommand("Network.enable", []);
        browser.Driver.ExecuteCdpCommand("Network.setExtraHTTPHeaders", new Dictionary<string, object?>
        {
            ["headers"] = new Dictionary<string, object> { [ApiKeyOptions.Header] = ApiHost.AdminKey },
        });
        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "dashboard/"));
        // Its script fills the empty brand header and draws the cluster's one active silo from the data it polls.
        browser.WaitUntil("the dashboard's script draws the cluster", UiTimeout, () =>
            browser.ById("brand-header").Text.Length > 0
            && browser.Driver.FindElement(By.TagName("body")).Text.Contains("Active", StringComparison.OrdinalIgnoreCase));
        browser.SaveWindowScreenshot("dashboard-under-csp");
        Assert.Empty(browser.PageErrors());
        Assert.Empty(Violations(browser));
    }

    private static List<string> Violations(BrowserSession browser) =>
        browser.Script("return window.__cspViolations || [];") is IEnumerable<object> found ? found.Select(v => v?.ToString() ?? "").ToList() : [];
}
