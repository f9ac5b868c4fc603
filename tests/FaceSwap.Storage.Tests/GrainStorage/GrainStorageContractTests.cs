using Orleans.Storage;

namespace FaceSwap.Storage.Tests.GrainStorage;

/// <summary>
/// The semantics the platform relies on from a grain storage provider, checked against ours
/// (<see cref="LocalFileGrainStorage"/>) and Orleans' own Azure blob grain storage, each resolved by name from a running silo.
/// </summary>
public abstract class GrainStorageContractTests
{
    /// <summary>The state name of direct calls.</summary>
    protected const string StateName = "contract";

    /// <summary>The running silo.</summary>
    protected abstract TestSilo Silo { get; }

    /// <summary>The provider's registered name.</summary>
    protected abstract string StorageName { get; }

    /// <summary>The provider under test, as Orleans resolves it.</summary>
    protected IGrainStorage Storage => Silo.GetStorage(StorageName);

    /// <summary>A counter grain whose state lives in the provider under test.</summary>
    protected abstract ICounterGrain GetCounter(string key);

    /// <summary>Replaces the stored bytes of a record, behind the provider's back.</summary>
    protected abstract Task OverwriteStoredBytesAsync(string stateName, GrainId grainId, byte[] bytes);

    /// <summary>Deletes a stored record, behind the provider's back.</summary>
    protected abstract Task DeleteStoredRecordAsync(string stateName, GrainId grainId);

    /// <summary>Whether a record is stored, looked at behind the provider's back.</summary>
    protected abstract Task<bool> StoredRecordExistsAsync(string stateName, GrainId grainId);

    /// <summary>Checks the error of reading a corrupted record (directly, or through a grain when <paramref name="throughGrain"/>).</summary>
    protected abstract void AssertCorruptionError(Exception error, string stateName, GrainId grainId, bool throughGrain);

    /// <summary>Bytes that are no state of any type.</summary>
    protected static byte[] Garbage()
    {
        var bytes = new byte[96];
        Random.Shared.NextBytes(bytes);
        "{\"Value\": this is not json"u8.CopyTo(bytes);
        return bytes;
    }

    /// <summary>A fresh grain id for direct calls.</summary>
    protected static GrainId NewGrainId() => GrainId.Create("storagetest", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Missing_state_reads_as_the_default_without_a_record()
    {
        var state = new GrainState<TestState>();

        await Storage.ReadStateAsync(StateName, NewGrainId(), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.NotNull(state.State);
        Assert.Equal(0, state.State!.Value);
    }

    [Fact]
    public async Task Write_then_read_round_trips_the_state_and_its_etag()
    {
        var id = NewGrainId();
        var written = new GrainState<TestState> { State = new TestState { Value = 42, Text = "forty-two" } };

        await Storage.WriteStateAsync(StateName, id, written);
        var read = new GrainState<TestState>();
        await Storage.ReadStateAsync(StateName, id, read);

        Assert.True(written.RecordExists);
        Assert.False(string.IsNullOrEmpty(written.ETag));
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(42, read.State!.Value);
        Assert.Equal("forty-two", read.State!.Text);
        Assert.True(await StoredRecordExistsAsync(StateName, id));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_InconsistentStateException()
    {
        var id = NewGrainId();
        var first = new GrainState<TestState> { State = new TestState { Value = 1 } };
        await Storage.WriteStateAsync(StateName, id, first);
        var other = new GrainState<TestState> { State = new TestState { Value = 2 }, ETag = first.ETag, RecordExists = true };
        await Storage.WriteStateAsync(StateName, id, other);

        first.State!.Value = 3;
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, id, first));

        var read = new GrainState<TestState>();
        await Storage.ReadStateAsync(StateName, id, read);
        Assert.Equal(2, read.State!.Value);
        Assert.Equal(other.ETag, read.ETag);
    }

    [Fact]
    public async Task A_write_expecting_no_record_throws_when_one_was_created_meanwhile()
    {
        var id = NewGrainId();
        await Storage.WriteStateAsync(StateName, id, new GrainState<TestState> { State = new TestState { Value = 1 } });

        var late = new GrainState<TestState> { State = new TestState { Value = 2 } };

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, id, late));
    }

    [Fact]
    public async Task Of_two_concurrent_writers_with_the_same_etag_exactly_one_wins()
    {
        for (var round = 0; round < 5; round++)
        {
            var id = NewGrainId();
            var initial = new GrainState<TestState> { State = new TestState { Value = 0 } };
            await Storage.WriteStateAsync(StateName, id, initial);
            var a = new GrainState<TestState> { State = new TestState { Value = 1 }, ETag = initial.ETag, RecordExists = true };
            var b = new GrainState<TestState> { State = new TestState { Value = 2 }, ETag = initial.ETag, RecordExists = true };

            var outcomes = await Task.WhenAll(TryWriteAsync(id, a), TryWriteAsync(id, b));

            Assert.Single(outcomes, o => o is null);
            Assert.Single(outcomes, o => o is InconsistentStateException);
            var winner = outcomes[0] is null ? a : b;
            var read = new GrainState<TestState>();
            await Storage.ReadStateAsync(StateName, id, read);
            Assert.Equal(winner.State!.Value, read.State!.Value);
            Assert.Equal(winner.ETag, read.ETag);
        }
    }

    [Fact]
    public async Task Of_two_concurrent_creators_exactly_one_wins()
    {
        var id = NewGrainId();
        var a = new GrainState<TestState> { State = new TestState { Value = 1 } };
        var b = new GrainState<TestState> { State = new TestState { Value = 2 } };

        var outcomes = await Task.WhenAll(TryWriteAsync(id, a), TryWriteAsync(id, b));

        Assert.Single(outcomes, o => o is null);
        Assert.Single(outcomes, o => o is InconsistentStateException);
    }

    [Fact]
    public async Task Clear_removes_the_record_and_a_stale_clear_throws()
    {
        var id = NewGrainId();
        var first = new GrainState<TestState> { State = new TestState { Value = 1 } };
        await Storage.WriteStateAsync(StateName, id, first);
        var current = new GrainState<TestState> { State = new TestState { Value = 2 }, ETag = first.ETag, RecordExists = true };
        await Storage.WriteStateAsync(StateName, id, current);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync(StateName, id, first));
        await Storage.ClearStateAsync(StateName, id, current);

        Assert.False(current.RecordExists);
        Assert.Equal(0, current.State!.Value);
        var read = new GrainState<TestState>();
        await Storage.ReadStateAsync(StateName, id, read);
        Assert.False(read.RecordExists);
        Assert.Equal(0, read.State!.Value);
    }

    [Fact]
    public async Task Corrupted_stored_bytes_give_a_clear_error_and_the_silo_keeps_serving()
    {
        var id = NewGrainId();
        await Storage.WriteStateAsync(StateName, id, new GrainState<TestState> { State = new TestState { Value = 7 } });
        Assert.True(await StoredRecordExistsAsync(StateName, id));
        await OverwriteStoredBytesAsync(StateName, id, Garbage());

        var error = await Assert.ThrowsAnyAsync<Exception>(() => Storage.ReadStateAsync(StateName, id, new GrainState<TestState>()));

        Assert.IsNotType<InconsistentStateException>(error);
        AssertCorruptionError(error, StateName, id, throughGrain: false);
        Assert.True(Silo.IsRunning);
        var otherId = NewGrainId();
        await Storage.WriteStateAsync(StateName, otherId, new GrainState<TestState> { State = new TestState { Value = 8 } });
        var other = new GrainState<TestState>();
        await Storage.ReadStateAsync(StateName, otherId, other);
        Assert.Equal(8, other.State!.Value);
    }

    [Fact]
    public async Task A_grain_keeps_its_state_through_the_storage_across_deactivation()
    {
        var counter = GetCounter(Guid.NewGuid().ToString("N"));

        Assert.Equal(1, await counter.IncrementAsync());
        Assert.Equal(2, await counter.IncrementAsync());
        await counter.DeactivateAsync();
        Assert.Equal(3, await counter.IncrementAsync());

        var stored = new GrainState<CounterState>();
        await Storage.ReadStateAsync(CounterGrain.StateName, counter.GetGrainId(), stored);
        Assert.Equal(3, stored.State!.Count);
    }

    [Fact]
    public async Task A_grain_with_corrupted_state_fails_to_activate_while_others_work_and_recovers_once_repaired()
    {
        var counter = GetCounter(Guid.NewGuid().ToString("N"));
        Assert.Equal(1, await counter.IncrementAsync());
        await counter.DeactivateAsync();
        await OverwriteStoredBytesAsync(CounterGrain.StateName, counter.GetGrainId(), Garbage());

        var error = await Assert.ThrowsAnyAsync<Exception>(counter.IncrementAsync);

        AssertCorruptionError(error, CounterGrain.StateName, counter.GetGrainId(), throughGrain: true);
        Assert.True(Silo.IsRunning);
        Assert.Equal(1, await GetCounter(Guid.NewGuid().ToString("N")).IncrementAsync());

        await DeleteStoredRecordAsync(CounterGrain.StateName, counter.GetGrainId());
        Assert.Equal(1, await counter.IncrementAsync());
    }

    private async Task<Exception?> TryWriteAsync(GrainId id, GrainState<TestState> state)
    {
        try
        {
            await Task.Yield();
            await Storage.WriteStateAsync(StateName, id, state);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
