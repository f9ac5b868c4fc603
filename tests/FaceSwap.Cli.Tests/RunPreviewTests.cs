using System.Text.Json;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using OpenCvSharp;
using SkiaSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>
/// `faceswap run --preview N` as a user runs it (issue 25 item 5): N images chosen across the input's folders, their
/// outputs and one contact sheet, then the same command without --preview does the rest and skips what the preview wrote.
/// </summary>
public sealed class RunPreviewTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-preview-");

    private string Input => Path.Combine(work.FullName, "in");

    private string Output => Path.Combine(work.FullName, "out");

    [Fact]
    public async Task A_preview_swaps_n_images_across_the_folders_draws_a_contact_sheet_and_the_full_run_skips_them()
    {
        // Four folders (the top one included), eight photos; a preview of four takes one from each folder.
        string[] relative = ["cover.jpg", "a/p1.jpg", "a/p2.jpg", "a/p3.jpg", "b/deep/p4.jpg", "b/deep/p5.jpg", "c/p6.jpg", "c/p7.jpg"];
        for (var i = 0; i < relative.Length; i++)
        {
            WritePhoto(relative[i], sample: new[] { 1, 2, 4 }[i % 3]);
        }

        string[] args = ["run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3), "--input", Input, "--output", Output, "--concurrency", "1"];
        var preview = await CliProcess.RunAsync([.. args, "--preview", "4"]);

        Assert.True(preview.ExitCode == 0, preview.StdErr);
        var previewed = Outputs();
        Assert.Equal(4, previewed.Count);
        Assert.Equal(4, previewed.Select(p => Path.GetDirectoryName(Path.GetRelativePath(Output, p))).Distinct().Count());

        var summary = Summary(LatestJobFolder());
        Assert.Equal("completed", summary.GetProperty("state").GetString());
        Assert.Equal(4, summary.GetProperty("counts").GetProperty("discovered").GetInt32());
        Assert.Equal(4, summary.GetProperty("counts").GetProperty("ok").GetInt32());
        Assert.Equal(4, summary.GetProperty("spec").GetProperty("options").GetProperty("preview").GetInt32());
        var section = summary.GetProperty("preview");
        Assert.Equal(4, section.GetProperty("requested").GetInt32());
        Assert.Equal(relative.Length, section.GetProperty("inputImages").GetInt32());
        Assert.Contains($"preview: 4 of {relative.Length} images", preview.StdOut);

        // One contact sheet beside the summary: a row per swapped face, so its height follows the faces counted.
        var faces = summary.GetProperty("counts").GetProperty("faces").GetInt32();
        Assert.True(faces >= 4, $"{faces} faces swapped in four group photos");
        Assert.Equal(faces, section.GetProperty("contactSheetFaces").GetInt32());
        var sheetPath = Path.Combine(LatestJobFolder(), "contact-sheet.png");
        Assert.Contains("contact sheet: " + sheetPath, preview.StdOut);
        Assert.Single(Directory.EnumerateFiles(Output, "*.png", SearchOption.AllDirectories));
        var png = await File.ReadAllBytesAsync(sheetPath);
        Assert.Equal("png", ImageCodec.Sniff(png));
        using (var sheet = SKBitmap.Decode(png))
        {
            Assert.Equal(ContactSheet.Width, sheet.Width);
            Assert.Equal(ContactSheet.HeightFor(faces, footer: false), sheet.Height);
            AssertRowsDrawn(sheet, faces);
        }

        var written = previewed.ToDictionary(p => p, File.GetLastWriteTimeUtc);

        // The full run: the previewed images are skipped (their outputs match), the rest are swapped.
        var full = await CliProcess.RunAsync(args);

        Assert.True(full.ExitCode == 0, full.StdErr);
        Assert.Equal(relative.Length, Outputs().Count);
        foreach (var (path, time) in written)
        {
            Assert.Equal(time, File.GetLastWriteTimeUtc(path));
        }

        var counts = Summary(LatestJobFolder()).GetProperty("counts");
        Assert.Equal(relative.Length, counts.GetProperty("discovered").GetInt32());
        Assert.Equal(4, counts.GetProperty("skipped").GetInt32());
        Assert.Equal(relative.Length - 4, counts.GetProperty("ok").GetInt32());
        Assert.False(Summary(LatestJobFolder()).TryGetProperty("preview", out _));
        Assert.False(File.Exists(Path.Combine(LatestJobFolder(), "contact-sheet.png")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("101")]
    [InlineData("1000000")]
    public async Task A_preview_size_out_of_range_is_refused_with_its_code_before_anything_runs(string value)
    {
        WritePhoto("a/p1.jpg", sample: 1);

        var run = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3), "--input", Input, "--output", Output, "--preview", value);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--preview must be 1 to 100", run.StdErr);
        Assert.Contains("preview_out_of_range", run.StdErr);
        Assert.False(Directory.Exists(Output));
    }

    /// <summary>Each row has a photo in both crops (not a flat fill) and dark text beside them.</summary>
    private static void AssertRowsDrawn(SKBitmap sheet, int rows)
    {
        for (var row = 0; row < rows; row++)
        {
            var top = ContactSheet.HeaderHeight + row * ContactSheet.RowHeight + (ContactSheet.RowHeight - ContactSheet.Crop) / 2;
            foreach (var left in new[] { ContactSheet.Margin, ContactSheet.Margin + ContactSheet.Crop + 8 })
            {
                var greys = new HashSet<byte>();
                for (var y = top + 10; y < top + ContactSheet.Crop - 10; y += 7)
                {
                    for (var x = left + 10; x < left + ContactSheet.Crop - 10; x += 7)
                    {
                        var c = sheet.GetPixel(x, y);
                        greys.Add((byte)((c.Red + c.Green + c.Blue) / 3));
                    }
                }

                Assert.True(greys.Count > 40, $"row {row}: the crop at x={left} is nearly flat ({greys.Count} grey levels)");
            }

            var dark = 0;
            for (var y = top; y < top + ContactSheet.Crop; y++)
            {
                for (var x = 2 * ContactSheet.Crop + 60; x < ContactSheet.Width - ContactSheet.Margin; x++)
                {
                    var c = sheet.GetPixel(x, y);
                    dark += c.Red + c.Green + c.Blue < 300 ? 1 : 0;
                }
            }

            Assert.True(dark > 500, $"row {row}: no text beside the crops ({dark} dark pixels)");
        }
    }

    private void WritePhoto(string relative, int sample) => DemoPhotos.Write(Path.Combine(Input, relative), DemoPhotos.HalfSize(sample));

    private List<string> Outputs() => Directory.Exists(Output)
        ? Directory.EnumerateFiles(Output, "*.jpg", SearchOption.AllDirectories).Where(p => !p.Contains("_faceswap", StringComparison.Ordinal)).ToList()
        : [];

    private string LatestJobFolder() => Directory.EnumerateFiles(Path.Combine(Output, "_faceswap"), "summary.json", SearchOption.AllDirectories)
        .OrderByDescending(File.GetLastWriteTimeUtc).Select(Path.GetDirectoryName).First()!;

    private static JsonElement Summary(string folder) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))).RootElement.Clone();

    public void Dispose() => work.Delete(recursive: true);
}
