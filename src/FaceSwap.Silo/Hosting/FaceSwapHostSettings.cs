using System.Net;
using FaceSwap.Engine;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Placement;
using FaceSwap.ModelStore;
using FaceSwap.Storage;
using Microsoft.Extensions.Options;

namespace FaceSwap.Silo.Hosting;

/// <summary>
/// Settings of a host beyond the silo's own (configuration section "FaceSwap:Host"): clustering, ports, identity of
/// the cluster. Together with "FaceSwap" (role, storage, models) this is the one configuration schema of every silo:
/// the CLI, the tests and the containers all use it (docs/deploy.md lists it).
/// </summary>
public sealed class FaceSwapHostSettings
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "FaceSwap:Host";

    /// <summary>One silo on this machine; job state as files.</summary>
    public const string Localhost = "localhost";

    /// <summary>Membership and reminders in Azure Table storage, grain state in blobs, all in the storage account.</summary>
    public const string AzureTable = "azure-table";

    /// <summary>localhost or azure-table; default: localhost for local storage, azure-table for a storage account.</summary>
    public string? Clustering { get; set; }

    /// <summary>Advertised silo-to-silo port; 0 picks a free one.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>
    /// Run the Orleans gateway, for cluster clients outside the silo. Off by default: the REST API, blob drops and the
    /// CLI call grains in process, so FaceSwap itself needs none, and an open gateway is a way in beside the API's keys
    /// (the grains still enforce the job policy). When on, it listens where the silo port does: loopback in local modes.
    /// </summary>
    public bool Gateway { get; set; }

    /// <summary>Advertised gateway port for cluster clients when <see cref="Gateway"/> is on; 0 picks a free one.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Port the silo listens on when it differs from the advertised one (containers behind port mappings).</summary>
    public int? ListenSiloPort { get; set; }

    /// <summary>Port the gateway listens on when it differs from the advertised one.</summary>
    public int? ListenGatewayPort { get; set; }

    /// <summary>
    /// The IP address other silos reach this one at (Container Apps: the environment's static IP); default loopback.
    /// A silo advertising loopback listens on loopback only; one advertising another address listens on all of its
    /// interfaces (a container behind port mappings, which expose the ports to the cluster's own apps only).
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The address the silo (and gateway) listen on: loopback unless another address is advertised.</summary>
    public IPAddress ListenAddress() =>
        IPAddress.TryParse(AdvertisedAddress, out var advertised) && !IPAddress.IsLoopback(advertised) ? IPAddress.Any : IPAddress.Loopback;

    /// <summary>Cluster id when the cluster lives in a storage account (several clusters can share one account).</summary>
    public string ClusterId { get; set; } = "faceswap";

    /// <summary>Service id: grain state and reminders belong to it.</summary>
    public string ServiceId { get; set; } = "faceswap";

    /// <summary>The silo's name in the cluster (logs, per-image outcomes); default: Orleans picks one.</summary>
    public string? SiloName { get; set; }

    /// <summary>Folder of job state with localhost clustering; null: STORAGE-ROOT/state/grains, or ~/.faceswap/state.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>The clustering in effect for <paramref name="storage"/> (null: a setting not understood).</summary>
    public string EffectiveClustering(StorageSetting? storage) =>
        Clustering?.Trim().ToLowerInvariant() is { Length: > 0 } chosen ? chosen : storage is { IsLocal: false } ? AzureTable : Localhost;
}

/// <summary>
/// Checks the host's settings, and how they fit the silo's (<paramref name="silo"/>, as the host was built with them),
/// when the host starts: every missing or contradictory setting gets its own line.
/// </summary>
public sealed class FaceSwapHostSettingsValidator(FaceSwapSiloOptions silo) : IValidateOptions<FaceSwapHostSettings>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FaceSwapHostSettings host)
    {
        var problems = new List<string>();
        StorageSetting.TryParse(silo.Storage, out var storage, out _);
        if (storage is { IsLocal: true, NamesFolder: false })
        {
            problems.Add("FaceSwap:Storage 'local' names no folder: the silo host needs local:/folder (its subfolders inbox, outbox, state are the containers)");
        }

        var role = SiloRoles.TryParse(silo.Role, out var parsed) ? parsed : null;
        var clustering = host.EffectiveClustering(storage);
        if (clustering is not (FaceSwapHostSettings.Localhost or FaceSwapHostSettings.AzureTable))
        {
            problems.Add($"FaceSwap:Host:Clustering '{host.Clustering}' is unknown: use localhost or azure-table");
        }
        else if (clustering == FaceSwapHostSettings.AzureTable && storage is { IsLocal: true })
        {
            problems.Add("FaceSwap:Host:Clustering is azure-table but FaceSwap:Storage is a local folder: azure-table clustering needs a storage account");
        }
        else if (clustering == FaceSwapHostSettings.Localhost && role is not (null or SiloRoles.Both))
        {
            problems.Add($"FaceSwap:Role is {role} but clustering is localhost (one silo alone): a silo that only does part of the work needs azure-table clustering with the other silos");
        }

        if (!string.IsNullOrEmpty(host.AdvertisedAddress) && !IPAddress.TryParse(host.AdvertisedAddress, out _))
        {
            problems.Add($"FaceSwap:Host:AdvertisedAddress '{host.AdvertisedAddress}' is not an IP address");
        }

        foreach (var (port, value) in new[] { ("SiloPort", (int?)host.SiloPort), ("GatewayPort", host.GatewayPort), ("ListenSiloPort", host.ListenSiloPort), ("ListenGatewayPort", host.ListenGatewayPort) })
        {
            if (value is < 0 or > 65535)
            {
                problems.Add($"FaceSwap:Host:{port} {value} is not a port (0-65535)");
            }
        }

        if (host.SiloPort != 0 && host.SiloPort == host.GatewayPort)
        {
            problems.Add($"FaceSwap:Host:SiloPort and GatewayPort are both {host.SiloPort}: they must differ");
        }

        if (SiloRoles.RunsInference(role))
        {
            try
            {
                var models = ModelFolder.Open(silo.ModelsPath);
                foreach (var model in models.Catalog.Models)
                {
                    models.Require(model.Name);
                }
            }
            catch (FaceSwapException e)
            {
                problems.Add($"FaceSwap:ModelsPath: {e.Message}");
            }
        }

        return problems.Count > 0 ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
