using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Models;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.BlobDrop;
using FaceSwap.Grains.Inference;

namespace FaceSwap.Grains.Tests;

/// <summary>Swapper, enhancer, detector and paste-back options of a job: validation, manifests, spec hash.</summary>
public sealed class ModelOptionsTests
{
    [Fact]
    public void Unknown_models_and_a_blend_ratio_out_of_range_are_field_errors()
    {
        var errors = new Dictionary<string, string>();
        ModelOptionsValidation.Validate(new JobOptions { Swapper = "roop", Enhancer = "codeformer", Detector = "retinaface", BlendRatio = 1.2f }, (f, m) => errors[f] = m);

        Assert.Equal("must be 'morph', 'inswapper_128' or 'simswap_256'", errors["options.swapper"]);
        Assert.Equal("must be 'none' or 'gfpgan_1.4'", errors["options.enhancer"]);
        Assert.Equal("must be 'default', 'scrfd_2.5g' or 'yoloface_8n'", errors["options.detector"]);
        Assert.Equal("must be between 0 and 1", errors["options.blendRatio"]);
        ModelOptionsValidation.Validate(new JobOptions { Landmarker = "peppa_wutz" }, (f, m) => errors[f] = m);
        Assert.Equal("must be 'default' or '2dfan4'", errors["options.landmarker"]);
    }

    [Fact]
    public void A_pixel_boost_the_swapper_cannot_use_and_a_mask_padding_out_of_range_are_field_errors()
    {
        var errors = new Dictionary<string, string>();
        ModelOptionsValidation.Validate(new JobOptions { Swapper = "simswap_256", PixelBoost = 384, MaskPadding = [0, 0, 120, 0] }, (f, m) => errors[f] = m);

        Assert.Equal("simswap_256 works at a pixel boost of 256 or 512", errors["options.pixelBoost"]);
        Assert.Equal("must be 1 to 4 percentages (top, right, bottom, left) between 0 and 100", errors["options.maskPadding"]);
        ModelOptionsValidation.Validate(new JobOptions { PixelBoost = 300, MaskPadding = [1, 2, 3, 4, 5] }, (f, m) => errors[f] = m);
        Assert.Equal("pixel boost must be 128, 256, 384, 512, or 0 to choose by face size", errors["options.pixelBoost"]);
        Assert.Equal("must be 1 to 4 percentages (top, right, bottom, left) between 0 and 100", errors["options.maskPadding"]);
    }

    [Fact]
    public void Options_with_the_same_mask_padding_are_the_same_options()
    {
        Assert.True(new JobOptions { MaskPadding = [0, 0, 30, 0] }.SameAs(new JobOptions { MaskPadding = [0, 0, 30, 0] }));
        Assert.False(new JobOptions { MaskPadding = [0, 0, 30, 0] }.SameAs(new JobOptions { MaskPadding = [0, 0, 20, 0] }));
        Assert.False(new JobOptions { PixelBoost = 256 }.SameAs(new JobOptions()));
    }

    [Fact]
    public void A_job_without_model_options_pastes_like_the_command_line_at_100_percent()
    {
        var selection = NeuralJobs.SelectionOf(new JobOptions());

        Assert.Equal(new ModelSelection(), selection);
        Assert.Equal(1f, selection.Paste.BlendRatio);
    }

    [Fact]
    public void The_defaults_and_every_listed_model_are_accepted()
    {
        var errors = new List<string>();
        ModelOptionsValidation.Validate(new JobOptions(), (f, _) => errors.Add(f));
        ModelOptionsValidation.Validate(new JobOptions { Swapper = "simswap_256", Enhancer = "gfpgan_1.4", Detector = "yoloface_8n", BlendRatio = 0, Poisson = true }, (f, _) => errors.Add(f));
        ModelOptionsValidation.Validate(new JobOptions { Swapper = "inswapper_128", PixelBoost = 384, MaskPadding = [10] }, (f, _) => errors.Add(f));

        Assert.Empty(errors);
    }

    [Fact]
    public void A_drop_manifest_carries_the_model_options()
    {
        var manifest = DropManifest.Parse("""{ "source": "faces/a.jpg", "options": { "swapper": "inswapper_128", "enhancer": "gfpgan_1.4", "blendRatio": 0.8, "poisson": true, "pixelBoost": 512, "maskPadding": [0, 5, 30, 5] } }"""u8.ToArray());

        var selection = NeuralJobs.SelectionOf(manifest.Options!);

        Assert.Equal(PublicModels.Inswapper128, selection.Swapper);
        Assert.Equal(PublicModels.Gfpgan14, selection.Enhancer);
        Assert.Equal(PublicModels.DefaultDetector, selection.Detector);
        Assert.Equal(0.8f, selection.Paste.BlendRatio);
        Assert.True(selection.Paste.Poisson);
        Assert.Equal(512, selection.PixelBoost);
        Assert.Equal(new MaskPadding(0, 5, 30, 5), selection.Paste.MaskPadding);
    }

    [Fact]
    public void The_spec_hash_names_the_models_only_when_they_are_not_the_defaults()
    {
        Assert.Equal("", SpecHash.ModelPart(new JobOptions()));
        Assert.Equal("", SpecHash.ModelPart(new JobOptions { BlendRatio = 0.5f }));
        Assert.Equal("|swapper=morph|enhancer=gfpgan_1.4|detector=default", SpecHash.ModelPart(new JobOptions { Enhancer = "gfpgan_1.4" }));
        Assert.Equal("|swapper=morph|enhancer=none|detector=scrfd_2.5g|landmarker=2dfan4", SpecHash.ModelPart(new JobOptions { Detector = "scrfd_2.5g", Landmarker = "2dfan4" }));
        Assert.Equal("|swapper=inswapper_128|enhancer=none|detector=default|blend=0.5|poisson",
            SpecHash.ModelPart(new JobOptions { Swapper = "inswapper_128", BlendRatio = 0.5f, Poisson = true }));
        Assert.Equal("|swapper=inswapper_128|enhancer=none|detector=default|blend=1|boost=256|padding=0,0,30,0",
            SpecHash.ModelPart(new JobOptions { Swapper = "inswapper_128", PixelBoost = 256, MaskPadding = [0, 0, 30, 0] }));
    }

    [Fact]
    public void A_job_whose_models_are_missing_is_refused_at_start_with_the_models_error_class()
    {
        var folder = Directory.CreateTempSubdirectory("faceswap-grain-models-");
        try
        {
            var loader = NeuralJobs.Loader(new Hosting.FaceSwapSiloOptions { ModelsPath = folder.FullName });

            var check = NeuralJobs.Check(loader, new JobOptions { Swapper = "simswap_256" });

            Assert.NotNull(check);
            Assert.False(check.Usable);
            Assert.Equal("model_missing", check.ErrorClass);
            Assert.Contains("simswap_256.onnx is missing", check.Error, StringComparison.Ordinal);
            Assert.Equal("options.swapper", check.Field);
            Assert.Null(NeuralJobs.Check(loader, new JobOptions()));

            // Each option's missing model is named by its field, whatever the error says.
            foreach (var (options, field) in new[]
            {
                (new JobOptions { Enhancer = "gfpgan_1.4" }, "options.enhancer"),
                (new JobOptions { Detector = "scrfd_2.5g" }, "options.detector"),
                (new JobOptions { Landmarker = "2dfan4" }, "options.landmarker"),
                (new JobOptions { Swapper = "inswapper_128", Enhancer = "gfpgan_1.4" }, "options.swapper"),
            })
            {
                var refused = NeuralJobs.Check(loader, options);
                Assert.Equal(("model_missing", field), (refused?.ErrorClass, refused?.Field));
            }

            var unknown = NeuralJobs.Check(loader, new JobOptions { Detector = "retinaface" });
            Assert.Equal(("invalid_options", "options.detector"), (unknown?.ErrorClass, unknown?.Field));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void An_unavailable_execution_provider_is_refused_at_start()
    {
        var loader = NeuralJobs.Loader(new Hosting.FaceSwapSiloOptions { ExecutionProvider = "tensorrt" });

        var check = NeuralJobs.Check(loader, new JobOptions { Enhancer = "gfpgan_1.4" });

        Assert.NotNull(check);
        Assert.Equal(NeuralJobs.ProviderUnavailable, check.ErrorClass);
        Assert.Equal("options.enhancer", check.Field);
        Assert.Contains("-p:OnnxRuntimeFlavor=Gpu", check.Error, StringComparison.Ordinal);
    }
}
