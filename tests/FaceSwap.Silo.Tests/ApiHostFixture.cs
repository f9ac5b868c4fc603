using FaceSwap.Testing;

// Hosts run real engines on a 2-core machine: one test class at a time keeps timings sane.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace FaceSwap.Silo.Tests;

/// <summary>A private Azurite and one API host over it, shared by the tests of a collection (each test uses its own prefixes and jobs).</summary>
public sealed class AzuriteApiHostFixture : IAsyncLifetime
{
    /// <summary>The collection's name.</summary>
    public const string Collection = "api-on-azurite";

    private readonly AzuriteFixture azurite = new();

    /// <summary>The host.</summary>
    public ApiHost Host { get; private set; } = null!;

    /// <summary>Azurite's connection string.</summary>
    public string ConnectionString => azurite.ConnectionString;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await azurite.InitializeAsync();
        Host = await ApiHost.StartAsync(azurite.ConnectionString);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await azurite.DisposeAsync();
    }
}

[CollectionDefinition(AzuriteApiHostFixture.Collection)]
public sealed class AzuriteApiHostCollection : ICollectionFixture<AzuriteApiHostFixture>;
