using FaceSwap.Client;
using FaceSwap.Silo.Tests;
using FaceSwap.Testing;

namespace FaceSwap.Client.Tests;

/// <summary>One private Azurite for the assembly's host tests.</summary>
[CollectionDefinition(AzuriteFixture.CollectionName)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>;

/// <summary>A real silo host (Kestrel, Orleans, the real engine) over the collection's Azurite, shared by a test class.</summary>
public sealed class ClientHostFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    /// <summary>The host.</summary>
    public ApiHost Host { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Host = await ApiHost.StartAsync(azurite.ConnectionString);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    /// <summary>An SDK client of the host with <paramref name="apiKey"/>, made with the script constructor.</summary>
    public FaceSwapClient Client(string apiKey = ApiHost.SubmitKey) => new(Host.BaseAddress, apiKey);

    /// <summary>A fresh source face, input and output, unique to one test.</summary>
    public async Task<Batch> NewBatchAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var batch = new Batch($"faces/{id}/source.jpg", $"inbox/{id}/", $"outbox/{id}/");
        await Host.PutBytesAsync(batch.Source, TestPhotos.Small(3));
        return batch;
    }
}

/// <summary>Where one test's job reads and writes.</summary>
public sealed record Batch(string Source, string Input, string Output);
