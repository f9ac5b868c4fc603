using System.Globalization;
using FaceSwap.ModelStore;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace FaceSwap.Silo.Tests;

/// <summary>
/// Debian's Chromium driven headless through Debian's chromedriver (both installed by scripts/setup.sh), with helpers
/// for waiting with useful failure messages and for full-page screenshots kept as test artifacts.
/// </summary>
public sealed class BrowserSession : IDisposable
{
    /// <summary>The Chromium binary (package chromium).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The WebDriver binary (package chromium-driver).</summary>
    public const string ChromeDriverPath = "/usr/bin/chromedriver";

    // Collects the page's uncaught errors and rejected promises, so a test can insist there were none.
    private const string ErrorRecorder = """
        window.__pageErrors = [];
        window.addEventListener('error', e => window.__pageErrors.push(String(e.message || e)));
        window.addEventListener('unhandledrejection', e => window.__pageErrors.push('unhandled rejection: ' + String(e.reason)));
        """;

    private BrowserSession(ChromeDriver driver)
    {
        Driver = driver;
    }

    /// <summary>The driver.</summary>
    public ChromeDriver Driver { get; }

    /// <summary>TestResults/browser under the repository root, where screenshots go.</summary>
    public static string ArtifactDirectory
    {
        get
        {
            var root = RepositoryLocator.FindRoot()
                ?? throw new InvalidOperationException("tests must run inside the repository (FaceSwap.Orleans.sln not found)");
            var directory = Path.Combine(root, "TestResults", "browser");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    /// <summary>Starts headless Chromium; fails the test (never skips it) when Chromium or chromedriver is missing.</summary>
    public static BrowserSession Start(int width = 1280, int height = 1000)
    {
        var missing = new[] { ChromiumPath, ChromeDriverPath }.Where(p => !File.Exists(p)).ToList();
        if (missing.Count > 0)
        {
            Assert.Fail($"The browser tests need Debian's Chromium and chromedriver, and {string.Join(" and ", missing)} is missing: " +
                "run scripts/setup.sh (it installs the apt packages chromium and chromium-driver).");
        }

        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments(
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            $"--window-size={width},{height}",
            "--force-device-scale-factor=1",
            "--hide-scrollbars",
            "--lang=en-US",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--force-color-profile=srgb");

        // An explicit driver path: Selenium Manager (which would try to download drivers) is not used.
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriverPath)!, Path.GetFileName(ChromeDriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        try
        {
            driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = ErrorRecorder });
            driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
            {
                ["features"] = new object[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = "light" } },
            });
        }
        catch
        {
            driver.Dispose();
            throw;
        }

        return new BrowserSession(driver);
    }

    /// <summary>The element with id <paramref name="id"/>.</summary>
    public IWebElement ById(string id) => Driver.FindElement(By.Id(id));

    /// <summary>Runs JavaScript in the page.</summary>
    public object? Script(string script, params object[] arguments) => Driver.ExecuteScript(script, arguments);

    /// <summary>The page's uncaught errors so far.</summary>
    public IReadOnlyList<string> PageErrors() =>
        Script("return window.__pageErrors || [];") is IEnumerable<object> errors ? errors.Select(e => e?.ToString() ?? "").ToList() : [];

    /// <summary>
    /// Waits until <paramref name="condition"/> holds; on timeout saves a screenshot named after
    /// <paramref name="what"/> and fails with what the page showed.
    /// </summary>
    public void WaitUntil(string what, TimeSpan timeout, Func<bool> condition)
    {
        var wait = new WebDriverWait(Driver, timeout) { PollingInterval = TimeSpan.FromMilliseconds(200) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            wait.Until(_ => condition());
        }
        catch (WebDriverTimeoutException)
        {
            var shot = SaveFullPageScreenshot("timeout-" + string.Concat(what.Select(c => char.IsLetterOrDigit(c) ? c : '-')));
            Assert.Fail($"Timed out after {timeout.TotalSeconds:0} s waiting until {what}. The page showed: {Describe()} " +
                $"Page errors: [{string.Join("; ", PageErrors())}]. Screenshot: {shot}");
        }
    }

    /// <summary>Saves a screenshot of the whole page (not only the window) as TestResults/browser/NAME.png; returns its path.</summary>
    public string SaveFullPageScreenshot(string name)
    {
        var metrics = Driver.ExecuteCdpCommand("Page.getLayoutMetrics", []) as Dictionary<string, object>;
        var size = metrics?.GetValueOrDefault("cssContentSize") as Dictionary<string, object>;
        var width = Convert.ToDouble(size?.GetValueOrDefault("width") ?? 1280, CultureInfo.InvariantCulture);
        var height = Convert.ToDouble(size?.GetValueOrDefault("height") ?? 1000, CultureInfo.InvariantCulture);
        var shot = Driver.ExecuteCdpCommand("Page.captureScreenshot", new Dictionary<string, object?>
        {
            ["format"] = "png",
            ["captureBeyondViewport"] = true,
            ["clip"] = new Dictionary<string, object> { ["x"] = 0, ["y"] = 0, ["width"] = Math.Ceiling(width), ["height"] = Math.Ceiling(height), ["scale"] = 1 },
        }) as Dictionary<string, object>;
        var data = shot?.GetValueOrDefault("data") as string ?? throw new InvalidOperationException("Chromium returned no screenshot");
        var path = Path.Combine(ArtifactDirectory, name + ".png");
        File.WriteAllBytes(path, Convert.FromBase64String(data));
        return path;
    }

    /// <summary>Saves a screenshot of what the window shows as TestResults/browser/NAME.png; returns its path.</summary>
    public string SaveWindowScreenshot(string name)
    {
        var path = Path.Combine(ArtifactDirectory, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>A short account of what the page shows, for failure messages.</summary>
    public string Describe()
    {
        try
        {
            return Script("""
                const t = id => { const e = document.getElementById(id); return e && !e.hidden ? e.textContent.trim() : null; };
                return JSON.stringify({
                  url: location.href, caller: t('caller-name'), auth: t('auth-message'), submitError: t('submit-error'),
                  state: t('state'), progress: document.getElementById('progress')?.getAttribute('aria-valuenow'),
                  progressText: t('progress-text'), live: t('live'), jobError: t('job-error'),
                  gallery: document.querySelectorAll('#gallery img').length, failures: t('failures') });
                """)?.ToString() ?? "(nothing)";
        }
        catch (WebDriverException e)
        {
            return $"(the page could not be read: {e.Message})";
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }
}
