using System.Net;
using System.Net.Http.Headers;
using FaceSwap.Engine;
using FaceSwap.Engine.Models;

namespace FaceSwap.ModelStore;

/// <summary>
/// Downloads one public model (models.json "public") from its URL into the model folder: resumes a partial download
/// (NAME.onnx.part) with an HTTP Range request, then checks size and sha256 where models.json records them before
/// moving the file into place. When the URL cannot be reached the error says where to put the file by hand.
/// </summary>
public static class PublicModelPuller
{
    /// <summary>The partial download beside the model file.</summary>
    public static string PartialPath(ModelDirectory directory, ModelEntry model) => directory.FileOf(model) + ".part";

    /// <summary>Pulls a public model; returns what was done ("already present", "downloaded", "resumed and downloaded").</summary>
    public static async Task<PullOutcome> PullAsync(ModelDirectory directory, string name, HttpClient http, Action<string>? log, CancellationToken ct)
    {
        var model = directory.Catalog.Public.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(
                $"'{name}' is not a public model in models.json; public models: {string.Join(", ", directory.Catalog.Public.Select(m => m.Name))}", nameof(name));
        if (directory.Check(model) == ModelState.Present)
        {
            return new PullOutcome(model, "already present");
        }

        if (model.Url is null)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelMissing, $"models.json has no download URL for {model.Name}: {directory.ByHand(model)}");
        }

        Directory.CreateDirectory(directory.Path);
        var partial = PartialPath(directory, model);
        var resumeFrom = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, model.Url);
        if (resumeFrom > 0)
        {
            request.Headers.Range = new RangeHeaderValue(resumeFrom, null);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelMissing,
                $"cannot reach {model.Url} ({e.Message}). {directory.ByHand(model)}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                throw new FaceSwapException(FaceSwapErrorKind.ModelMissing,
                    $"{model.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}. {directory.ByHand(model)}");
            }

            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (response.StatusCode != HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                log?.Invoke(resumed ? $"resuming {model.File} at {resumeFrom:N0} bytes" : $"downloading {model.File}");
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await using var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write);
                await body.CopyToAsync(file, ct);
            }

            var length = new FileInfo(partial).Length;
            if (model.Size is { } size && length != size)
            {
                File.Delete(partial);
                throw new FaceSwapException(FaceSwapErrorKind.ModelCorrupt,
                    $"{model.File} downloaded as {length:N0} bytes, models.json expects {size:N0}: the partial file was deleted, pull again");
            }

            if (model.Sha256 is { } expected && !string.Equals(ModelDirectory.Sha256Of(partial), expected, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(partial);
                throw new FaceSwapException(FaceSwapErrorKind.ModelCorrupt,
                    $"{model.File} does not match its sha256 in models.json: the download was deleted, pull again");
            }

            File.Move(partial, directory.FileOf(model), overwrite: true);
            return new PullOutcome(model, resumed ? "resumed and downloaded" : "downloaded");
        }
    }
}
