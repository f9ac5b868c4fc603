namespace FaceSwap.Storage.Tests.GrainStorage;

/// <summary>A persistent counter, to exercise a storage provider through a real grain.</summary>
public interface ICounterGrain : IGrainWithStringKey
{
    /// <summary>Adds one, persists, returns the new count.</summary>
    Task<int> IncrementAsync();

    /// <summary>Deactivates the grain once idle, so the next call reads the state again.</summary>
    Task DeactivateAsync();
}

/// <summary>The counter over <see cref="StorageNames.Local"/>.</summary>
public interface ILocalCounterGrain : ICounterGrain;

/// <summary>The counter over <see cref="StorageNames.Azure"/>.</summary>
public interface IAzureCounterGrain : ICounterGrain;

/// <summary>The counter's persisted state.</summary>
[GenerateSerializer, Alias("FaceSwap.Storage.Tests.CounterState")]
public sealed class CounterState
{
    /// <summary>The count.</summary>
    [Id(0)]
    public int Count { get; set; }
}

/// <summary>The counter's behaviour, whatever the store.</summary>
public abstract class CounterGrain(IPersistentState<CounterState> state) : Grain, ICounterGrain
{
    /// <summary>The state's name in both grains.</summary>
    public const string StateName = "counter";

    /// <inheritdoc />
    public async Task<int> IncrementAsync()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    /// <inheritdoc />
    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

/// <summary>The counter over the local file grain storage.</summary>
public sealed class LocalCounterGrain([PersistentState(CounterGrain.StateName, StorageNames.Local)] IPersistentState<CounterState> state)
    : CounterGrain(state), ILocalCounterGrain;

/// <summary>The counter over Orleans' Azure blob grain storage.</summary>
public sealed class AzureCounterGrain([PersistentState(CounterGrain.StateName, StorageNames.Azure)] IPersistentState<CounterState> state)
    : CounterGrain(state), IAzureCounterGrain;

/// <summary>A state for direct calls to a storage provider (Orleans' JSON serializer only binds allowed types, such as generated ones).</summary>
[GenerateSerializer, Alias("FaceSwap.Storage.Tests.TestState")]
public sealed class TestState
{
    /// <summary>A number.</summary>
    [Id(0)]
    public int Value { get; set; }

    /// <summary>Some text.</summary>
    [Id(1)]
    public string? Text { get; set; }
}
