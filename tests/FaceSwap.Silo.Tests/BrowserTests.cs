using System.Diagnostics;
using System.Net.Http.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Tests;
using FaceSwap.Testing;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>
/// The web page in a real browser (headless Chromium) against a real host: Kestrel, an Orleans silo, the real engine,
/// local storage. Screenshots are kept under TestResults/browser/ for people to look at.
/// </summary>
[Trait("Category", "Browser")]
public sealed class BrowserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_page_submits_a_job_follows_it_live_to_100_percent_and_shows_swapped_before_after_pairs()
    {
        var clock = Stopwatch.StartNew();
        using var browser = BrowserSession.Start();
        using var folder = new TemporaryDirectory("faceswap-browser");
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath);
        await host.PutFileAsync("inbox/faces/src.jpg", TestAssets.Sample(3));
        int[] photos = [1, 2, 4];
        foreach (var n in photos)
        {
            await host.PutFileAsync($"inbox/photos/group{n}.jpg", TestAssets.Sample(n));
        }

        await host.PutBytesAsync("inbox/photos/broken/not-a-photo.jpg", TestPhotos.Corrupt);

        // A key the server does not know: the page says so plainly and asks for another.
        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "#key=not-a-key"));
        browser.WaitUntil("the page reports the refused key", UiTimeout, () => browser.ById("auth-message").Text.Contains("401", StringComparison.Ordinal));
        Assert.False(browser.ById("app").Displayed);
        Assert.Null(browser.Script("return sessionStorage.getItem('faceswap.apiKey');"));

        // The key from `faceswap serve`'s link arrives in the fragment (here in the same tab: no reload); the page keeps it
        // and clears the address bar.
        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "#key=" + Uri.EscapeDataString(ApiHost.SubmitKey)));
        browser.WaitUntil("the page shows the caller", UiTimeout, () => browser.ById("caller-name").Text == "studio");
        Assert.Equal("submit", browser.ById("caller-role").Text);
        Assert.DoesNotContain("key=", browser.Driver.Url, StringComparison.Ordinal);
        Assert.Equal(ApiHost.SubmitKey, browser.Script("return sessionStorage.getItem('faceswap.apiKey');"));
        Assert.False(browser.ById("auth-message").Displayed);

        // A submission without a source face: the server's problem details name the field, the page shows it there.
        Fill(browser, "input", "inbox/photos/");
        Fill(browser, "output", "outbox/swapped/");
        browser.ById("submit-button").Click();
        browser.WaitUntil("the source field shows its error", UiTimeout, () => browser.ById("source-error").Displayed);
        var sourceError = browser.ById("source-error");
        Assert.Contains("required", sourceError.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("true", browser.ById("source").GetAttribute("aria-invalid"));
        Assert.Equal("source", sourceError.FindElement(By.XPath("..")).FindElement(By.TagName("input")).GetAttribute("id"));
        Assert.False(browser.ById("input-error").Displayed);
        Assert.True(browser.ById("job").GetAttribute("hidden") is not null, "no job may start from an invalid form");
        output.WriteLine($"field error screenshot: {browser.SaveFullPageScreenshot("field-error")}");

        // The real submission.
        Fill(browser, "source", "inbox/faces/src.jpg");
        browser.ById("faces").FindElement(By.CssSelector("option[value='all']")).Click();
        Fill(browser, "batch-size", "2");
        Fill(browser, "consent", "browser-test release form #7");
        RecordProgress(browser);
        browser.ById("submit-button").Click();
        browser.WaitUntil("the new job is selected", UiTimeout, () => browser.ById("job").Displayed && browser.ById("job-id").Text.Length > 0);
        Assert.False(browser.ById("source-error").Displayed, "the field error goes once the form is valid");
        var jobId = browser.ById("job-id").Text;
        output.WriteLine($"job {jobId} submitted after {clock.Elapsed.TotalSeconds:0.0} s");

        browser.WaitUntil("the job completes with the progress bar at 100%", JobTimeout, () =>
            browser.ById("state").GetAttribute("data-state") == "completed"
            && browser.ById("progress").GetAttribute("aria-valuenow") == "100");
        output.WriteLine($"job completed after {clock.Elapsed.TotalSeconds:0.0} s; progress values seen: {browser.Script("return (window.__progressSeen || []).join(', ');")}");
        Assert.Equal("completed", browser.ById("state").GetDomProperty("textContent"));
        Assert.Equal("100%", browser.ById("progress-percent").Text);
        Assert.StartsWith($"{photos.Length + 1} / {photos.Length + 1} images", browser.ById("progress-text").Text, StringComparison.Ordinal);
        Assert.Equal(photos.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), browser.ById("count-ok").Text);
        Assert.Equal("1", browser.ById("count-failed").Text);
        Assert.True(browser.ById("cancel").GetAttribute("disabled") is not null, "a completed job cannot be cancelled");
        Assert.True(browser.ById("retry-failed").Enabled, "a completed job with a failure can be retried");

        // The failures: path, error class and message of the image that is not a photo.
        browser.WaitUntil("the failure is listed", UiTimeout, () => browser.Driver.FindElements(By.CssSelector("#failures tbody tr")).Count == 1);
        var failure = browser.Driver.FindElement(By.CssSelector("#failures tbody tr"));
        Assert.Equal("broken/not-a-photo.jpg", failure.GetAttribute("data-path"));
        Assert.Equal("not_an_image", failure.FindElement(By.CssSelector(".error-class")).Text);
        Assert.Contains("not an image", failure.Text, StringComparison.Ordinal);

        // The list shows the job, completed, submitted by the key's name.
        browser.WaitUntil("the job's row is completed", UiTimeout, () =>
            browser.Driver.FindElement(By.CssSelector($"#jobs-body tr[data-job-id='{jobId}']")).GetAttribute("data-state") == "completed");
        Assert.Contains("studio", browser.Driver.FindElement(By.CssSelector($"#jobs-body tr[data-job-id='{jobId}']")).Text, StringComparison.Ordinal);

        // The gallery: every before/after thumbnail fetched with the key and actually decoded.
        browser.WaitUntil($"the gallery shows {photos.Length} loaded before/after pairs", UiTimeout, () =>
            browser.Script("""
                const imgs = [...document.querySelectorAll('#gallery img.before, #gallery img.after')];
                return imgs.length === arguments[0] * 2 && imgs.every(i => i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:'));
                """, photos.Length) is true);
        Assert.Equal(photos.Length, browser.Driver.FindElements(By.CssSelector("#gallery img.before")).Count);
        Assert.Equal(photos.Length, browser.Driver.FindElements(By.CssSelector("#gallery img.after")).Count);
        var paths = browser.Driver.FindElements(By.CssSelector("#gallery figure.pair")).Select(f => f.GetAttribute("data-path")).Order().ToList();
        Assert.Equal(photos.Select(n => $"group{n}.jpg").Order(), paths);

        // The page finds where before and after differ and shows those regions close up: the swapped faces.
        browser.WaitUntil("every pair shows close-ups of where the swap changed the photo", UiTimeout, () =>
            browser.Script("""
                const pairs = [...document.querySelectorAll('#gallery figure.pair')];
                return pairs.length > 0 && pairs.every(p => p.querySelectorAll('.closeup canvas.closeup-after').length > 0);
                """) is true);
        var closeUps = browser.Driver.FindElements(By.CssSelector("#gallery .closeup")).Count;
        output.WriteLine($"face close-ups shown: {closeUps}");

        Assert.Empty(browser.PageErrors());
        output.WriteLine($"completed job screenshot: {browser.SaveFullPageScreenshot("job-completed")}");
        var firstPair = browser.Driver.FindElement(By.CssSelector("#gallery figure.pair"));
        browser.Script("arguments[0].scrollIntoView({ block: 'center' });", firstPair);
        var pairShot = Path.Combine(BrowserSession.ArtifactDirectory, "gallery-pair.png");
        ((ITakesScreenshot)firstPair).GetScreenshot().SaveAsFile(pairShot);
        output.WriteLine($"first pair screenshot: {pairShot}");

        // A pair opens larger, in a dialog.
        firstPair.Click();
        browser.WaitUntil("the larger view shows both images", UiTimeout, () => browser.Script("""
            const d = document.getElementById('viewer');
            return d.open && ['viewer-before', 'viewer-after'].every(id => { const i = document.getElementById(id); return i.complete && i.naturalWidth > 0; });
            """) is true);
        output.WriteLine($"larger view screenshot: {browser.SaveWindowScreenshot("gallery-viewer")}");
        browser.Driver.FindElement(By.CssSelector("#viewer .viewer-head button")).Click();
        browser.WaitUntil("the larger view closes", UiTimeout, () => browser.Script("return document.getElementById('viewer').open;") is false);

        // Retrying the failed image runs the job again; the file is still not a photo, so it fails again.
        browser.Script("""
            window.__statesSeen = [];
            const badge = document.getElementById('state');
            new MutationObserver(() => window.__statesSeen.push(badge.dataset.state))
              .observe(badge, { attributes: true, attributeFilter: ['data-state'] });
            window.scrollTo(0, 0);
            """);
        browser.ById("retry-failed").Click();
        browser.WaitUntil("the retried job completes again", JobTimeout, () =>
            browser.ById("state").GetAttribute("data-state") == "completed"
            && browser.ById("progress").GetAttribute("aria-valuenow") == "100"
            && browser.ById("retry-failed").Enabled
            && browser.Driver.FindElements(By.CssSelector("#failures tbody tr")).Count == 1);
        var statesSeen = browser.Script("return window.__statesSeen.join(', ');") as string;
        output.WriteLine($"states during the retry: {statesSeen}");
        Assert.Contains("running", statesSeen, StringComparison.Ordinal);
        Assert.Equal("1", browser.ById("count-failed").Text);
        Assert.Equal(photos.Length, browser.Driver.FindElements(By.CssSelector("#gallery img.after")).Count);

        // Another key typed into the key field: a read-only key sees the job but may not submit, cancel or retry.
        browser.Script("window.scrollTo(0, 0);");
        browser.ById("key-change").Click();
        Fill(browser, "key", ApiHost.ReadKey);
        browser.ById("key-save").Click();
        browser.WaitUntil("the page shows the read-only caller", UiTimeout, () => browser.ById("caller-name").Text == "viewer");
        browser.WaitUntil("the job is shown again", UiTimeout, () => browser.ById("job-id").Text == jobId && browser.ById("state").GetAttribute("data-state") == "completed");
        Assert.Equal("read", browser.ById("caller-role").Text);
        Assert.True(browser.ById("submit-readonly").Displayed);
        Assert.False(browser.ById("submit-button").Enabled);
        Assert.False(browser.ById("job-actions").Displayed);
        Assert.Empty(browser.PageErrors());
        output.WriteLine($"total {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task The_gallery_shows_each_faces_similarity_and_a_review_badge_with_the_reason()
    {
        using var browser = BrowserSession.Start();
        using var folder = new TemporaryDirectory("faceswap-browser-review");
        await using var host = await ApiHost.StartAsync("local:" + folder.FullPath);

        // A source far smaller than the faces: the larger faces come out soft and need review (source_small).
        await host.PutBytesAsync("inbox/faces/tiny.jpg", TestPhotos.TinySource);
        int[] photos = [1, 2, 4];
        foreach (var n in photos)
        {
            await host.PutBytesAsync($"inbox/review/group{n}.jpg", TestPhotos.Small(n));
        }

        using var http = host.CreateClient(ApiHost.SubmitKey);
        using var submitted = await http.PostAsJsonAsync("api/jobs",
            new SubmitJobRequest { Source = "inbox/faces/tiny.jpg", Input = "inbox/review/", Output = "outbox/review/" }, FaceSwapJson.Options);
        Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        var jobId = (await submitted.Content.ReadFromJsonAsync<JobStatus>(FaceSwapJson.Options))!.JobId;
        var clock = Stopwatch.StartNew();
        JobStatus status;
        while (!(status = (await http.GetFromJsonAsync<JobStatus>($"api/jobs/{jobId}", FaceSwapJson.Options))!).IsTerminal)
        {
            Assert.True(clock.Elapsed < JobTimeout, $"job {jobId} not finished: {status.Counters}");
            await Task.Delay(200);
        }

        var outcomes = (await http.GetFromJsonAsync<ResultsPage>($"api/jobs/{jobId}/results", FaceSwapJson.Options))!.Items.ToDictionary(o => o.Path);
        Assert.True(status.Counters.FacesToReview > 0, "a source about a quarter of the size leaves soft faces to review");

        // The page opened on the job: one badge per swapped face in every before/after pair.
        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, $"#key={Uri.EscapeDataString(ApiHost.ReadKey)}&job={jobId}"));
        browser.WaitUntil("every pair shows a badge per swapped face", UiTimeout, () => browser.Script("""
            const pairs = [...document.querySelectorAll('#gallery figure.pair')];
            return pairs.length === arguments[0] && pairs.every(p => p.querySelectorAll('.face-badge').length > 0);
            """, photos.Length) is true);
        Assert.Equal(status.Counters.FacesToReview.ToString(System.Globalization.CultureInfo.InvariantCulture), browser.ById("count-review").Text);

        IWebElement? flaggedPair = null;
        foreach (var pair in browser.Driver.FindElements(By.CssSelector("#gallery figure.pair")))
        {
            var outcome = outcomes[pair.GetAttribute("data-path")!];
            var badges = pair.FindElements(By.CssSelector(".face-badge"));
            Assert.Equal(outcome.FaceOutcomes!.Count, badges.Count);
            for (var i = 0; i < badges.Count; i++)
            {
                var face = outcome.FaceOutcomes[i];
                var badge = badges[i];
                var shown = badge.FindElement(By.CssSelector(".face-sim")).Text;
                if (face.Similarity is { } similarity)
                {
                    Assert.Equal(similarity, double.Parse(shown, System.Globalization.CultureInfo.InvariantCulture), 0.006);
                }
                else
                {
                    Assert.Equal("lost", shown);
                }

                // A face that needs a look says why, in its badge and its tooltip; one that does not has no review badge.
                var tags = badge.FindElements(By.CssSelector(".review-tag"));
                Assert.Equal(face.NeedsReview, badge.GetAttribute("class")!.Split(' ').Contains("review"));
                if (face.NeedsReview)
                {
                    Assert.Equal($"review: {string.Join(", ", face.Review!)}", Assert.Single(tags).Text);
                    Assert.Contains("needs review: ", badge.GetAttribute("title"), StringComparison.Ordinal);
                    flaggedPair ??= pair;
                }
                else
                {
                    Assert.Empty(tags);
                }

                // The tooltip holds every figure of the face.
                var title = badge.GetAttribute("title")!;
                foreach (var (name, value) in new[] { ("tint", face.Tint), ("shade", face.Shade), ("detail", face.Detail) })
                {
                    var match = System.Text.RegularExpressions.Regex.Match(title, $"{name} ([0-9.]+|–)");
                    Assert.True(match.Success, title);
                    if (value is { } expected)
                    {
                        Assert.Equal(expected, double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0.051);
                    }
                }
            }
        }

        Assert.NotNull(flaggedPair);
        Assert.Contains(browser.Driver.FindElements(By.CssSelector("#gallery .review-tag")), tag => tag.Text.Contains("source_small", StringComparison.Ordinal));
        Assert.Empty(browser.PageErrors());
        browser.Script("arguments[0].scrollIntoView({ block: 'center' });", flaggedPair);
        var shot = Path.Combine(BrowserSession.ArtifactDirectory, "gallery-review-badges.png");
        ((ITakesScreenshot)flaggedPair).GetScreenshot().SaveAsFile(shot);
        output.WriteLine($"pair with review badges: {shot}");
    }

    private static void Fill(BrowserSession browser, string id, string value)
    {
        var input = browser.ById(id);
        input.Clear();
        input.SendKeys(value);
    }

    /// <summary>Records every value the progress bar takes, to tell in the test's output whether it moved live.</summary>
    private static void RecordProgress(BrowserSession browser) => browser.Script("""
        window.__progressSeen = [];
        const bar = document.getElementById('progress');
        new MutationObserver(() => {
          const v = bar.getAttribute('aria-valuenow');
          if (window.__progressSeen[window.__progressSeen.length - 1] !== v) window.__progressSeen.push(v);
        }).observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
        """);
}
