using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Models;

namespace FaceSwap.Engine.Tests;

/// <summary>A public model that is missing, corrupt or not the model it claims to be: each has its own clear error.</summary>
public sealed class PublicModelErrorTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("faceswap-model-errors-");

    [Fact]
    public void A_missing_model_says_which_file_and_where_to_put_it()
    {
        var directory = PublicModelStandIns.Directory(folder.FullName, new Dictionary<string, byte[]> { [PublicModels.ArcFace] = PublicModelStandIns.ArcFace() });
        var catalog = new ModelCatalog { Models = [.. directory.Catalog.Models, new ModelEntry(PublicModels.Inswapper128, "inswapper_128.onnx", "swapper", null, null, "test", null, null)] };
        using var models = PublicModelStandIns.Load(new ModelDirectory(folder.FullName, catalog));

        var error = Assert.Throws<FaceSwapException>(() => models.Resolve(new ModelSelection { Swapper = PublicModels.Inswapper128 }));

        Assert.Equal(FaceSwapErrorKind.ModelMissing, error.Kind);
        Assert.Contains("inswapper_128.onnx is missing from " + folder.FullName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_whose_sha256_differs_is_corrupt()
    {
        var directory = PublicModelStandIns.Directory(folder.FullName, new Dictionary<string, byte[]> { [PublicModels.Gfpgan14] = PublicModelStandIns.Gfpgan(false) });
        var entry = directory.Catalog.Get(PublicModels.Gfpgan14) with { Sha256 = new string('0', 64) };
        using var models = PublicModelStandIns.Load(new ModelDirectory(folder.FullName, new ModelCatalog { Models = [entry] }));

        var error = Assert.Throws<FaceSwapException>(() => models.Resolve(new ModelSelection { Enhancer = PublicModels.Gfpgan14 }));

        Assert.Equal(FaceSwapErrorKind.ModelCorrupt, error.Kind);
        Assert.Contains("does not match its sha256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_another_signature_is_refused_naming_both_signatures()
    {
        var directory = PublicModelStandIns.Directory(folder.FullName, new Dictionary<string, byte[]>
        {
            [PublicModels.SimSwap256] = PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        });
        using var models = PublicModelStandIns.Load(directory);

        var error = Assert.Throws<FaceSwapException>(() => models.Resolve(new ModelSelection { Swapper = PublicModels.SimSwap256 }));

        Assert.Equal(FaceSwapErrorKind.ModelContract, error.Kind);
        Assert.Contains("does not have the signature of simswap_256", error.Message, StringComparison.Ordinal);
        Assert.Contains("'target' [1,3,256,256]", error.Message, StringComparison.Ordinal);
        Assert.Contains("'target' Single [1,3,128,128]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inswapper_without_a_512_emap_as_last_initializer_is_refused()
    {
        var directory = PublicModelStandIns.Directory(folder.FullName, new Dictionary<string, byte[]>
        {
            [PublicModels.Inswapper128] = PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        });
        using var models = PublicModelStandIns.Load(directory);

        var error = Assert.Throws<FaceSwapException>(() => models.Resolve(new ModelSelection { Swapper = PublicModels.Inswapper128 }));

        Assert.Equal(FaceSwapErrorKind.ModelContract, error.Kind);
        Assert.Contains("expected the 512x512 emap matrix", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_corrupt_even_without_a_recorded_sha256()
    {
        File.WriteAllText(Path.Combine(folder.FullName, "gfpgan_1.4.onnx"), "<html>404 not found</html>");
        var catalog = new ModelCatalog { Models = [new ModelEntry(PublicModels.Gfpgan14, "gfpgan_1.4.onnx", "enhancer", null, null, "test", null, null)] };
        using var models = PublicModelStandIns.Load(new ModelDirectory(folder.FullName, catalog));

        var error = Assert.Throws<FaceSwapException>(() => models.Resolve(new ModelSelection { Enhancer = PublicModels.Gfpgan14 }));

        Assert.Equal(FaceSwapErrorKind.ModelCorrupt, error.Kind);
        Assert.Contains("ONNX Runtime cannot load", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_field_and_the_choices()
    {
        Assert.Equal(("swapper", "unknown swapper 'roop': use morph, inswapper_128, simswap_256"), new ModelSelection { Swapper = "roop" }.Validate());
        Assert.Equal("enhancer", new ModelSelection { Enhancer = "codeformer" }.Validate()?.Field);
        Assert.Equal("detector", new ModelSelection { Detector = "retinaface" }.Validate()?.Field);
        Assert.Equal("blendRatio", new ModelSelection { Paste = new PasteOptions { BlendRatio = 1.5f } }.Validate()?.Field);
        Assert.Null(new ModelSelection().Validate());
    }

    [Fact]
    public void The_default_selection_needs_no_public_model()
    {
        Assert.Empty(PublicModels.Required(new ModelSelection()));
        Assert.Equal([PublicModels.Inswapper128, PublicModels.ArcFace, PublicModels.Gfpgan14],
            PublicModels.Required(new ModelSelection { Swapper = PublicModels.Inswapper128, Enhancer = PublicModels.Gfpgan14 }));
        Assert.Equal([PublicModels.SimSwap256, PublicModels.CrossfaceSimSwap, PublicModels.ArcFace],
            PublicModels.Required(new ModelSelection { Swapper = PublicModels.SimSwap256 }));
    }

    [Theory]
    [InlineData(ExecutionProvider.Cuda, "CUDA 12")]
    [InlineData(ExecutionProvider.TensorRt, "TensorRT 10")]
    public void A_gpu_provider_missing_from_this_build_says_how_to_get_it(ExecutionProvider provider, string needed)
    {
        var error = Assert.Throws<ExecutionProviderUnavailableException>(() => ExecutionProviders.EnsureAvailable(provider, ["CPUExecutionProvider"]));

        Assert.Contains($"'{ExecutionProviders.Name(provider)}' is not available", error.Message, StringComparison.Ordinal);
        Assert.Contains("-p:OnnxRuntimeFlavor=Gpu", error.Message, StringComparison.Ordinal);
        Assert.Contains(needed, error.Message, StringComparison.Ordinal);
        Assert.Contains("it offers CPUExecutionProvider", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cpu_build_offers_the_cpu_provider_and_parses_provider_names()
    {
        Assert.Contains("CPUExecutionProvider", ExecutionProviders.Available());
        ExecutionProviders.EnsureAvailable(ExecutionProvider.Cpu);
        Assert.Equal(ExecutionProvider.TensorRt, ExecutionProviders.Parse("TensorRT"));
        Assert.Equal(ExecutionProvider.Cpu, ExecutionProviders.Parse(null));
        Assert.Null(ExecutionProviders.Parse("rocm"));
    }

    public void Dispose() => folder.Delete(recursive: true);
}
