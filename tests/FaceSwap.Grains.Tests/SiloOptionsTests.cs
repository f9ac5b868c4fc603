using FaceSwap.Engine.Tests;
using FaceSwap.Grains.Hosting;
using FaceSwap.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.Tests;

/// <summary>The silo's settings go through the options system: whoever builds a silo, a wrong value stops it as it starts.</summary>
public sealed class SiloOptionsTests : IDisposable
{
    private readonly TemporaryDirectory work = new("faceswap-grains-options");

    [Theory]
    [InlineData("Concurrency", "FaceSwap:Concurrency 100000 is out of range: it must be 0 to 256")]
    [InlineData("Role", "FaceSwap:Role: unknown silo role 'gpu': use api, inference or both")]
    [InlineData("Storage", "FaceSwap:Storage is not understood")]
    [InlineData("MaxPixels", "FaceSwap:MaxPixels 0 is not a pixel limit")]
    public async Task A_silo_with_a_wrong_setting_does_not_start_and_the_refusal_names_the_setting(string setting, string message)
    {
        var state = Path.Combine(work.FullPath, "state");
        using var host = Build(state, o =>
        {
            (o.Storage, o.ModelsPath) = ("local", TestAssets.Models.Path);
            switch (setting)
            {
                case "Concurrency": o.Concurrency = 100000; break;
                case "Role": o.Role = "gpu"; break;
                case "Storage": o.Storage = "ftp://somewhere"; break;
                case "MaxPixels": o.MaxPixels = 0; break;
            }
        });

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(refused.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
        Assert.Single(refused.Failures);
        Assert.False(Directory.Exists(state), "the refused silo wrote job state");
    }

    [Fact]
    public async Task A_silo_with_its_settings_in_range_starts_with_the_role_in_its_normal_form()
    {
        using var host = Build(Path.Combine(work.FullPath, "state"), o => (o.Role, o.Storage, o.ModelsPath) = (" API ", "local", TestAssets.Models.Path));

        await host.StartAsync();
        try
        {
            Assert.Equal(Placement.SiloRoles.Api, host.Services.GetRequiredService<IOptions<FaceSwapSiloOptions>>().Value.Role);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static IHost Build(string stateDirectory, Action<FaceSwapSiloOptions> configure)
    {
        var ports = FreePorts.Get(2);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo.UseFaceSwapEmbedded(stateDirectory, ports[0], ports[1]).AddFaceSwapGrains(configure));
        return builder.Build();
    }

    public void Dispose() => work.Dispose();
}
