using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace FaceSwap.Storage.Tests.GrainStorage;

/// <summary>The grain storage contract against <see cref="LocalFileGrainStorage"/>, plus what is particular to files.</summary>
public sealed class LocalFileGrainStorageTests(LocalSiloFixture fixture) : GrainStorageContractTests, IClassFixture<LocalSiloFixture>
{
    protected override TestSilo Silo => fixture.Silo;

    protected override string StorageName => StorageNames.Local;

    private LocalFileGrainStorage Files => Assert.IsType<LocalFileGrainStorage>(Storage);

    protected override ICounterGrain GetCounter(string key) => Silo.Grains.GetGrain<ILocalCounterGrain>(key);

    protected override Task OverwriteStoredBytesAsync(string stateName, GrainId grainId, byte[] bytes)
        => File.WriteAllBytesAsync(Files.GetFilePath(stateName, grainId), bytes);

    protected override Task DeleteStoredRecordAsync(string stateName, GrainId grainId)
    {
        File.Delete(Files.GetFilePath(stateName, grainId));
        return Task.CompletedTask;
    }

    protected override Task<bool> StoredRecordExistsAsync(string stateName, GrainId grainId)
        => Task.FromResult(File.Exists(Files.GetFilePath(stateName, grainId)));

    protected override void AssertCorruptionError(Exception error, string stateName, GrainId grainId, bool throughGrain)
    {
        var path = Files.GetFilePath(stateName, grainId);
        if (!throughGrain)
        {
            var corrupted = Assert.IsType<LocalFileGrainStorageException>(error);
            Assert.Equal(path, corrupted.FilePath);
        }

        Assert.Contains(path, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_state_is_one_json_file_per_grain_under_the_state_name_and_its_etag_is_the_sha256_of_the_file()
    {
        var id = GrainId.Create("batch", "job/2024 ü");
        var state = new GrainState<TestState> { State = new TestState { Value = 5, Text = "five" } };

        await Storage.WriteStateAsync("jobState", id, state);

        var path = Files.GetFilePath("jobState", id);
        Assert.Equal(Path.Join(fixture.StateDirectory.FullPath, "jobState"), Path.GetDirectoryName(path));
        Assert.Equal("batch%2Fjob%2F2024%20%C3%BC.json", Path.GetFileName(path));
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), state.ETag);
        Assert.Contains("\"five\"", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!, "*", SearchOption.AllDirectories), f => f.EndsWith(Path.GetFileName(path), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Clear_deletes_the_file()
    {
        var id = NewGrainId();
        var state = new GrainState<TestState> { State = new TestState { Value = 1 } };
        await Storage.WriteStateAsync(StateName, id, state);

        await Storage.ClearStateAsync(StateName, id, state);

        Assert.False(File.Exists(Files.GetFilePath(StateName, id)));
        Assert.Null(state.ETag);
    }

    [Fact]
    public async Task A_file_deleted_behind_the_grains_back_makes_its_next_write_inconsistent()
    {
        var id = NewGrainId();
        var state = new GrainState<TestState> { State = new TestState { Value = 1 } };
        await Storage.WriteStateAsync(StateName, id, state);
        File.Delete(Files.GetFilePath(StateName, id));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, id, state));

        Assert.Null(error.StoredEtag);
    }

    [Fact]
    public void Very_long_keys_make_short_distinct_file_names()
    {
        var a = Files.GetFilePath(StateName, GrainId.Create("t", new string('a', 500) + "1"));
        var b = Files.GetFilePath(StateName, GrainId.Create("t", new string('a', 500) + "2"));

        Assert.NotEqual(a, b);
        Assert.InRange(Path.GetFileName(a).Length, 1, 255);
    }

    [Fact]
    public async Task A_silo_without_a_root_directory_refuses_to_start_and_names_the_setting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            TestSilo.StartAsync(silo => silo.AddLocalFileGrainStorage("broken", _ => { })));

        Assert.Contains("RootDirectory", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_provider_is_registered_by_name_the_Orleans_way()
    {
        Assert.IsType<LocalFileGrainStorage>(Silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Local));
        Assert.Contains(Silo.Services.GetServices<IConfigurationValidator>(), v => v.GetType().Name == "LocalFileGrainStorageOptionsValidator");
    }
}
