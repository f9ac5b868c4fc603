namespace FaceSwap.Grains.Batch;

/// <summary>The loop both pumps share (<see cref="ItemPump"/> with images, <see cref="PartitionPump"/> with pages).</summary>
public static class PumpWindow
{
    /// <summary>
    /// Fills the window (<paramref name="fillAsync"/>), ends the job once everything is listed and nothing is in flight
    /// (<paramref name="drained"/>), else waits for something to come back and folds the pages it finished; while the
    /// job runs. True when <paramref name="fillAsync"/> handed the rest of the round over; false when the job ended,
    /// stopped or its activation went.
    /// </summary>
    public static async Task<bool> RunAsync(PumpHost host, Func<Task<bool>> fillAsync, Func<bool> drained)
    {
        while (host.Running)
        {
            host.KeepAlive();
            if (await fillAsync())
            {
                return true;
            }

            if (drained())
            {
                await host.FoldAsync(true);
                await host.FinishAsync();
                return false;
            }

            await host.Activity.WaitAsync();
            await host.FoldAsync(false);
        }

        return false;
    }
}
