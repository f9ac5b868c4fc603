using Orleans.Metadata;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace FaceSwap.Grains.Placement;

/// <summary>
/// Places a grain only on silos whose metadata role runs inference. Orleans' built-in
/// RequiredMatchSiloMetadataPlacementFilter keeps silos whose value equals the placing silo's, which would keep
/// inference on an api silo that places it; this filter pins the role itself.
/// </summary>
public sealed class InferenceSiloPlacementFilterStrategy : PlacementFilterStrategy
{
    /// <summary>Creates the strategy (order 0).</summary>
    public InferenceSiloPlacementFilterStrategy() : base(0)
    {
    }
}

/// <summary>Marks a grain class as inference-only.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class InferenceSiloPlacementAttribute() : PlacementFilterAttribute(new InferenceSiloPlacementFilterStrategy());

/// <summary>Keeps the silos whose metadata role is inference or both.</summary>
public sealed class InferenceSiloPlacementFilterDirector(ISiloMetadataCache metadata) : IPlacementFilterDirector
{
    /// <inheritdoc />
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos) =>
        silos.Where(silo => SiloRoles.RunsInference(metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(SiloRoles.MetadataKey)));
}

/// <summary>Places a grain only on silos whose role is api or both (BatchGrains: coordination stays off GPU silos).</summary>
public sealed class ApiSiloPlacementFilterStrategy : PlacementFilterStrategy
{
    /// <summary>Creates the strategy (order 0).</summary>
    public ApiSiloPlacementFilterStrategy() : base(0)
    {
    }
}

/// <summary>Marks a grain class as api-silo only.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ApiSiloPlacementAttribute() : PlacementFilterAttribute(new ApiSiloPlacementFilterStrategy());

/// <summary>Keeps the silos whose metadata role is api or both.</summary>
public sealed class ApiSiloPlacementFilterDirector(ISiloMetadataCache metadata) : IPlacementFilterDirector
{
    /// <inheritdoc />
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos) =>
        silos.Where(silo => metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(SiloRoles.MetadataKey) is SiloRoles.Api or SiloRoles.Both);
}
