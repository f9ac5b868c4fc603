namespace FaceSwap.Grains.BlobDrop;

/// <summary>Settings of blob-drop triggered jobs (configuration section "FaceSwap:Drop").</summary>
public sealed class BlobDropOptions
{
    /// <summary>Whether manifests start jobs at all; the silo host turns it on unless configured off, `faceswap run` leaves it off.</summary>
    public bool Enabled { get; set; }

    /// <summary>The container users drop photos and manifests into.</summary>
    public string Inbox { get; set; } = "inbox";

    /// <summary>The container outputs go to by default (same prefix as the drop).</summary>
    public string Outbox { get; set; } = "outbox";

    /// <summary>The manifest's file name; its arrival starts a job over its folder.</summary>
    public string ManifestName { get; set; } = "faceswap.json";

    /// <summary>
    /// Seconds between polls of the inbox for new manifests (where no Event Grid exists: local folders, Azurite);
    /// 0 turns the watcher off (in Azure, where Event Grid feeds the queue).
    /// </summary>
    public double WatchSeconds { get; set; } = 2;

    /// <summary>The storage queue Event Grid delivers BlobCreated events to; null or empty: no queue consumer.</summary>
    public string? Queue { get; set; }

    /// <summary>Where messages that keep failing go, with the reason; default: the queue's name + "-poison".</summary>
    public string? PoisonQueue { get; set; }

    /// <summary>Deliveries of one message before it is moved to the poison queue.</summary>
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>Seconds a received message stays invisible while it is handled; it comes back after that if not deleted.</summary>
    public double VisibilitySeconds { get; set; } = 60;

    /// <summary>The effective poison queue name.</summary>
    public string PoisonQueueName => string.IsNullOrEmpty(PoisonQueue) ? Queue + "-poison" : PoisonQueue;
}
