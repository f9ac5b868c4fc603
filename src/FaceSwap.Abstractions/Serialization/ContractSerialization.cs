using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace FaceSwap.Abstractions.Serialization;

/// <summary>
/// How grain calls carry the wire contracts of FaceSwap.Contracts (job specs, statuses, outcomes): those types have no
/// Orleans attributes, so the client SDK needs no Orleans, and Orleans serialises and copies them with System.Text.Json
/// in their REST form (<see cref="FaceSwapJson.Options"/>). Every silo and cluster client must register this.
/// </summary>
public static class ContractSerialization
{
    /// <summary>Whether <paramref name="type"/> is one of the wire contracts.</summary>
    public static bool IsContract(Type type) => type.Assembly == typeof(JobSpec).Assembly;

    /// <summary>Serialises the wire contracts with System.Text.Json.</summary>
    public static ISerializerBuilder AddFaceSwapContracts(this ISerializerBuilder builder) =>
        builder.AddJsonSerializer(isSupported: IsContract, jsonSerializerOptions: FaceSwapJson.Options);

    /// <summary>Registers the serialisation of the wire contracts with a silo's or cluster client's services.</summary>
    public static IServiceCollection AddFaceSwapContracts(this IServiceCollection services) =>
        services.AddSerializer(builder => builder.AddFaceSwapContracts());
}
