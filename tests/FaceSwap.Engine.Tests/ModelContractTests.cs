using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Recognition;
using FaceSwap.ModelStore;

namespace FaceSwap.Engine.Tests;

public sealed class ModelContractTests
{
    [Fact]
    public void Every_embedded_model_matches_its_contract()
    {
        foreach (var contract in new[] { FaceDetector.Contract, FaceLandmarker.Contract, FaceEmbedder.Contract })
        {
            using var model = OnnxModel.Load(TestAssets.Models, contract, new OnnxSettings());
            Assert.Equal(contract.Inputs.Select(i => i.Name), model.Session.InputMetadata.Keys);
        }
    }

    [Fact]
    public void A_model_with_a_different_signature_is_refused_with_the_file_and_tensor_named()
    {
        // fr_landmark.onnx loaded under the detector's contract: a 64x64 grey input instead of 240x320 RGB.
        var impostor = FaceDetector.Contract with { ModelName = "fr_landmark" };
        var error = Assert.Throws<FaceSwapException>(() => OnnxModel.Load(TestAssets.Models, impostor, new OnnxSettings()));
        Assert.Equal(FaceSwapErrorKind.ModelContract, error.Kind);
        Assert.Contains("fr_landmark.onnx", error.Message);
        Assert.Contains("[1,3,240,320]", error.Message);
    }

    [Fact]
    public void Missing_and_corrupt_models_name_the_file_and_the_fix()
    {
        var dir = Directory.CreateTempSubdirectory("faceswap-models-");
        try
        {
            var models = new ModelDirectory(dir.FullName, TestAssets.Models.Catalog);
            var missing = Assert.Throws<FaceSwapException>(() => models.Require("fr_detect"));
            Assert.Equal(FaceSwapErrorKind.ModelMissing, missing.Kind);
            Assert.Contains("fr_detect.onnx", missing.Message);
            Assert.Contains("faceswap models pull", missing.Message);

            var entry = models.Catalog.Get("fr_detect");
            var bytes = File.ReadAllBytes(TestAssets.Models.FileOf(entry));
            bytes[bytes.Length / 2] ^= 0xFF;
            File.WriteAllBytes(models.FileOf(entry), bytes);
            Assert.Equal(ModelState.Corrupt, models.Check(entry));
            var corrupt = Assert.Throws<FaceSwapException>(() => models.Require("fr_detect"));
            Assert.Equal(FaceSwapErrorKind.ModelCorrupt, corrupt.Kind);
            Assert.Contains("sha256", corrupt.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Pull_is_idempotent_and_installs_verified_files()
    {
        var dir = Directory.CreateTempSubdirectory("faceswap-pull-");
        try
        {
            var models = new ModelDirectory(dir.FullName, TestAssets.Models.Catalog);
            var first = await ModelPuller.PullAsync(models, null, CancellationToken.None);
            Assert.All(first, o => Assert.Equal("installed", o.Action));
            Assert.All(models.Catalog.Models, m => Assert.Equal(ModelState.Present, models.Check(m)));

            var second = await ModelPuller.PullAsync(models, null, CancellationToken.None);
            Assert.All(second, o => Assert.Equal("already present", o.Action));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
