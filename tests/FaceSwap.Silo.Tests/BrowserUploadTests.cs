using System.IO.Compression;
using FaceSwap.Testing;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>
/// The web page's uploads and downloads in a real browser (headless Chromium) against a real host: a source photo and a
/// folder picked from disk are uploaded with progress, the form is filled, the job runs, and its outputs and failures
/// come back through the page's links.
/// </summary>
[Trait("Category", "Browser")]
public sealed class BrowserUploadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_picked_face_and_folder_upload_with_progress_fill_the_form_resume_without_resending_and_the_job_downloads_as_zip_and_csv()
    {
        using var browser = BrowserSession.Start();
        using var storage = new TemporaryDirectory("faceswap-browser-upload");
        using var disk = new TemporaryDirectory("faceswap-browser-disk");
        using var downloads = new TemporaryDirectory("faceswap-browser-downloads");
        await using var host = await ApiHost.StartAsync("local:" + storage.FullPath);

        // On the user's disk: a face, and a folder "shoot" with photos in a subfolder, a text file and a broken photo.
        var face = Path.Combine(disk.FullPath, "anna.jpg");
        await File.WriteAllBytesAsync(face, TestPhotos.Small(3));
        var shoot = Path.Combine(disk.FullPath, "shoot");
        Directory.CreateDirectory(Path.Combine(shoot, "day2"));
        await File.WriteAllBytesAsync(Path.Combine(shoot, "p1.jpg"), TestPhotos.Small(1));
        await File.WriteAllBytesAsync(Path.Combine(shoot, "day2", "p2.jpg"), TestPhotos.Small(2));
        await File.WriteAllTextAsync(Path.Combine(shoot, "notes.txt"), "shot list");
        await File.WriteAllBytesAsync(Path.Combine(shoot, "broken.jpg"), TestPhotos.Corrupt);

        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "#key=" + Uri.EscapeDataString(ApiHost.SubmitKey)));
        browser.WaitUntil("the page shows the caller", UiTimeout, () => browser.ById("caller-name").Text == "studio");
        browser.Script("window.scrollTo(0, 0);");

        browser.ById("upload-source").SendKeys(face);
        browser.WaitUntil("the source field names the uploaded face", UiTimeout, () => browser.ById("source").GetDomProperty("value")!.EndsWith("/source/anna.jpg", StringComparison.Ordinal));
        var source = browser.ById("source").GetDomProperty("value")!;
        Assert.Matches("^inbox/uploads/up-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}/source/anna.jpg$", source);
        var prefix = source[..^"source/anna.jpg".Length];
        Assert.Equal(TestPhotos.Small(3), await host.Store.ReadAllBytesAsync(source, 1 << 24));

        browser.ById("upload-photos").SendKeys(shoot);
        browser.WaitUntil("every photo of the folder is uploaded or refused", UiTimeout, () =>
            browser.ById("upload-bar").GetAttribute("data-state") is "failed" or "completed" && browser.ById("input").GetDomProperty("value")!.Length > 0);
        Assert.Equal("100", browser.ById("upload-bar").GetAttribute("aria-valuenow"));
        Assert.Equal($"{prefix}photos/shoot/", browser.ById("input").GetDomProperty("value"));
        Assert.Equal($"outbox/uploads/{prefix.Split('/')[2]}/shoot/", browser.ById("output").GetDomProperty("value"));
        var rows = FileRows(browser);
        output.WriteLine(string.Join("\n", rows.Select(r => $"{r.Key}: {r.Value}")));
        Assert.Equal(["photos/shoot/broken.jpg", "photos/shoot/day2/p2.jpg", "photos/shoot/p1.jpg", "source/anna.jpg"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("done", "uploaded"), rows["photos/shoot/p1.jpg"]);
        Assert.Equal(("done", "uploaded"), rows["photos/shoot/day2/p2.jpg"]);
        Assert.Equal("refused", rows["photos/shoot/broken.jpg"].State);
        Assert.StartsWith("not_an_image:", rows["photos/shoot/broken.jpg"].Note, StringComparison.Ordinal);
        Assert.Equal(TestPhotos.Small(2), await host.Store.ReadAllBytesAsync($"{prefix}photos/shoot/day2/p2.jpg", 1 << 24));
        Assert.Contains("1 left out (not photos)", browser.ById("upload-text").Text, StringComparison.Ordinal);
        Assert.Contains("1 refused", browser.ById("upload-text").Text, StringComparison.Ordinal);
        Assert.True(browser.ById("upload-error").Displayed, "files not uploaded are reported");
        var p1Version = (await host.Store.GetPropertiesAsync($"{prefix}photos/shoot/p1.jpg"))!.ETag;
        output.WriteLine($"upload screenshot: {browser.SaveFullPageScreenshot("upload-done")}");

        // The same folder again (as after a dropped connection): the photos the server holds are not sent again.
        browser.ById("upload-photos").SendKeys(shoot);
        browser.WaitUntil("the folder is checked again", UiTimeout, () => browser.ById("upload-text").Text.Contains("2 already on the server", StringComparison.Ordinal));
        Assert.Equal(("already", "already on the server"), FileRows(browser)["photos/shoot/p1.jpg"]);
        Assert.Equal(p1Version, (await host.Store.GetPropertiesAsync($"{prefix}photos/shoot/p1.jpg"))!.ETag);

        // A file that reached the inbox another way, so the job has a failure to download.
        await host.PutBytesAsync($"{prefix}photos/shoot/dropped, \"late\".jpg", TestPhotos.Corrupt);
        browser.ById("submit-button").Click();
        browser.WaitUntil("the job completes", JobTimeout, () => browser.ById("job").Displayed && browser.ById("state").GetAttribute("data-state") == "completed");
        var jobId = browser.ById("job-id").Text;
        Assert.Null(browser.Script("return sessionStorage.getItem('faceswap.uploadId');"));

        browser.WaitUntil("both download links are shown", UiTimeout, () => browser.ById("download-zip").Displayed && browser.ById("download-csv").Displayed);
        Assert.EndsWith($"/api/jobs/{jobId}/outputs.zip", browser.ById("download-zip").GetAttribute("href"), StringComparison.Ordinal);
        Assert.EndsWith($"/api/jobs/{jobId}/failures.csv", browser.ById("download-csv").GetAttribute("href"), StringComparison.Ordinal);

        // The links' addresses fetched from the page with its key.
        var csv = browser.Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            fetch(document.getElementById('download-csv').href, { headers: { 'X-Api-Key': sessionStorage.getItem('faceswap.apiKey') } })
              .then(async r => done(r.status + ' ' + r.headers.get('content-type') + '\n' + await r.text()), e => done('error ' + e));
            """) as string;
        output.WriteLine(csv);
        Assert.StartsWith("200 text/csv", csv, StringComparison.Ordinal);
        Assert.Contains("\"dropped, \"\"late\"\".jpg\",failed,not_an_image,", csv, StringComparison.Ordinal);

        // The zip link clicked: the browser saves the file, which holds every output under its path in the folder.
        browser.Driver.ExecuteCdpCommand("Browser.setDownloadBehavior", new Dictionary<string, object?> { ["behavior"] = "allow", ["downloadPath"] = downloads.FullPath });
        browser.ById("download-zip").Click();
        var saved = Path.Combine(downloads.FullPath, $"{jobId}-outputs.zip");
        browser.WaitUntil("the zip is saved", UiTimeout, () => File.Exists(saved) && !Directory.EnumerateFiles(downloads.FullPath, "*.crdownload").Any());
        using (var zip = ZipFile.OpenRead(saved))
        {
            Assert.Equal(["day2/p2.jpg", "p1.jpg"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        }

        output.WriteLine($"downloads screenshot: {browser.SaveFullPageScreenshot("upload-job-downloads")}");

        // The job took the upload: a photo dropped on the source zone next goes under a new upload.
        browser.Script("""
            const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
            const drop = new DataTransfer();
            drop.items.add(new File([bytes], 'dropped-face.jpg', { type: 'image/jpeg' }));
            document.getElementById('drop-source').dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
            """, Convert.ToBase64String(TestPhotos.Small(4)));
        browser.WaitUntil("the dropped face fills the source field", UiTimeout, () => browser.ById("source").GetDomProperty("value")!.EndsWith("/source/dropped-face.jpg", StringComparison.Ordinal));
        var dropped = browser.ById("source").GetDomProperty("value")!;
        Assert.False(dropped.StartsWith(prefix, StringComparison.Ordinal), "a new upload after the job took the last one");
        Assert.Equal(TestPhotos.Small(4), await host.Store.ReadAllBytesAsync(dropped, 1 << 24));
        Assert.Empty(browser.PageErrors());
    }

    private static Dictionary<string, (string State, string Note)> FileRows(BrowserSession browser) =>
        browser.Driver.FindElements(By.CssSelector("#upload-files li"))
            .ToDictionary(li => li.GetAttribute("data-path")!, li => (li.GetAttribute("data-state")!, li.FindElement(By.CssSelector(".note")).Text));
}
