using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;
using FaceSwap.Testing;

namespace FaceSwap.Grains.Tests;

/// <summary>summary.json's quality figures and review list, built from a job's outcome lines.</summary>
public sealed class FaceReviewTests : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-review");

    [Fact]
    public async Task A_large_jobs_review_lists_the_first_thousand_faces_counts_them_all_and_gives_exact_medians()
    {
        // 3,000 images of two faces: one fine, one with a colour cast; every 10th image's second face lost instead.
        var store = new LocalBlobStore(work.FullPath);
        const int Images = 3000;
        var lines = new List<string>();
        for (var i = 0; i < Images; i++)
        {
            var lost = i % 10 == 0;
            lines.Add(JobOutcomes.ToLine(new ImageOutcome
            {
                Path = $"photos/{i:D5}.jpg",
                Status = ImageStatus.Ok,
                Faces = 2,
                FacesLost = lost ? 1 : 0,
                FacesToReview = 1,
                FaceOutcomes =
                [
                    new FaceOutcome { Box = [10, 10, 100, 100], SimilarityBefore = 0.1f, Similarity = 0.5f, Tint = 1f, Shade = 2f, Detail = 1f, SourceScale = 0.8f },
                    lost
                        ? new FaceOutcome { Box = [200, 10, 90, 90], SimilarityBefore = 0.05f, Similarity = null, SourceScale = 0.9f, NeedsReview = true, Review = [ReviewReasons.Lost] }
                        : new FaceOutcome { Box = [200, 10, 90, 90], SimilarityBefore = 0.05f, Similarity = 0.4f, Tint = 6.5f, Shade = 3f, Detail = 1.1f, SourceScale = 0.9f, NeedsReview = true, Review = [ReviewReasons.Tint] },
                ],
            }));

            // Outcomes without swapped faces change nothing.
            if (i % 100 == 0)
            {
                lines.Add(JobOutcomes.ToLine(new ImageOutcome { Path = $"photos/{i:D5}-broken.jpg", Status = ImageStatus.Failed, ErrorClass = "truncated_image" }));
            }
        }

        await store.AppendLinesAsync("out/_faceswap/job/outcomes.jsonl", lines);

        var review = await FaceReview.ReadAsync(store, "out/_faceswap/job/outcomes.jsonl");

        var quality = review.Quality;
        Assert.Equal(2 * Images, quality.FacesSwapped);
        Assert.Equal(Images / 10, quality.FacesLost);
        Assert.Equal(2 * Images - Images / 10, quality.FacesMeasured);
        Assert.Equal(Images, quality.FacesWithinThresholds);
        Assert.Equal(Images, quality.FacesToReview);
        Assert.Equal(new Dictionary<string, long> { [ReviewReasons.Lost] = Images / 10, [ReviewReasons.Tint] = Images - Images / 10 }, quality.Reasons);

        // 3,000 fine faces at tint 1 and 2,700 at 6.5: the median is 1 (lower median); shade 2 vs 3 likewise.
        Assert.Equal(1f, quality.MedianTint);
        Assert.Equal(2f, quality.MedianShade);
        Assert.Equal(1f, quality.MedianDetail);
        Assert.Equal(0.5f, quality.MedianSimilarity);
        Assert.Equal(5f, quality.Thresholds.MaxTint);

        var list = review.Review;
        Assert.Equal((Images, FaceReview.DefaultLimit, true), (list.Total, list.Listed, list.Truncated));
        Assert.Equal(FaceReview.DefaultLimit, list.Faces.Count);
        Assert.Equal("photos/00000.jpg", list.Faces[0].Path);
        Assert.Equal(1, list.Faces[0].Face);
        Assert.Equal([ReviewReasons.Lost], list.Faces[0].Reasons);
        Assert.Null(list.Faces[0].Similarity);
        Assert.Equal([ReviewReasons.Tint], list.Faces[1].Reasons);
        Assert.Equal(6.5f, list.Faces[1].Tint);

        // As summary.json writes it: the lost face's similarity is null, not left out, and the list stays small.
        var json = JsonSerializer.Serialize(new { quality, review = list }, FaceSwapJson.Options);
        using var document = JsonDocument.Parse(json);
        var first = document.RootElement.GetProperty("review").GetProperty("faces")[0];
        Assert.Equal(JsonValueKind.Null, first.GetProperty("similarity").ValueKind);
        Assert.Equal("lost", first.GetProperty("reasons")[0].GetString());
        Assert.Equal(Images / 10, document.RootElement.GetProperty("quality").GetProperty("reasons").GetProperty("lost").GetInt64());
        Assert.True(json.Length < 400_000, $"{json.Length} characters");
    }

    [Fact]
    public async Task A_job_without_outcomes_has_an_empty_review()
    {
        var review = await FaceReview.ReadAsync(new LocalBlobStore(work.FullPath), "out/_faceswap/none/outcomes.jsonl");

        Assert.Equal(0, review.Quality.FacesSwapped);
        Assert.Null(review.Quality.MedianTint);
        Assert.Equal((0, 0, false), (review.Review.Total, review.Review.Listed, review.Review.Truncated));
    }

    public void Dispose() => work.Dispose();
}
