using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FaceSwap.Deploy.Tests;

/// <summary>
/// The ARM template infra/main.bicep compiles to (scripts/bicep.sh, Bicep CLI from NuGet): a clean build, no keys,
/// one replica per silo app, one inference app per <c>inferenceSiloCount</c>, exactly the five role assignments, and
/// silo settings that follow the silo host's configuration schema (docs/deploy.md).
/// </summary>
[Collection(CompiledTemplate.Collection), Trait("Category", "Deploy")]
public sealed partial class BicepTemplateTests(CompiledTemplate compiled)
{
    private const string BlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    private const string QueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string TableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string QueueDataMessageSender = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";
    private const string AcrPull = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

    /// <summary>Every setting name a silo may get (the silo host's schema).</summary>
    private static readonly HashSet<string> SchemaNames =
    [
        "FaceSwap__Role", "FaceSwap__Storage", "AZURE_CLIENT_ID", "FaceSwap__Host__Clustering", "FaceSwap__Host__ClusterId",
        "FaceSwap__Host__ServiceId", "FaceSwap__Host__AdvertisedAddress", "FaceSwap__Host__SiloPort", "FaceSwap__Host__GatewayPort",
        "FaceSwap__Host__Gateway", "FaceSwap__Host__ListenSiloPort", "FaceSwap__Host__ListenGatewayPort", "FaceSwap__Drop__Queue", "FaceSwap__Drop__WatchSeconds",
        "FaceSwap__Concurrency", "FaceSwap__ModelsPath", "Api__Jwt__Authority", "Api__Jwt__Audience", "Api__Keys__0__Name",
        "Api__Keys__0__Role", "Api__Keys__0__Sha256", "ASPNETCORE_URLS", "FaceSwap__ExecutionProvider", "Api__BehindProxy",
    ];

    [Fact]
    public void Bicep_build_has_no_errors_and_no_warnings()
    {
        Assert.True(compiled.ExitCode == 0, $"scripts/bicep.sh exited with {compiled.ExitCode}:\n{compiled.Diagnostics}");
        Assert.DoesNotMatch(@" : (Warning|Error) ", compiled.Diagnostics);
        Assert.Contains("Bicep CLI version 0.49.2", compiled.Diagnostics, StringComparison.Ordinal);
        Assert.NotEmpty(compiled.Text);
    }

    [Fact]
    public void Nothing_holds_a_storage_key_a_connection_string_or_a_sas()
    {
        string[] forbidden = ["AccountKey", "DefaultEndpointsProtocol", "SharedAccessSignature", "ConnectionString", "listKeys", "listCredentials", "listAccountSas", "listServiceSas", "sig="];
        foreach (var word in forbidden)
        {
            Assert.DoesNotContain(word, compiled.Text, StringComparison.OrdinalIgnoreCase);
        }

        // Not in the sources either, comments aside: no list*() call anywhere.
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("infra"), "*.bicep", SearchOption.AllDirectories))
        {
            var code = string.Join('\n', File.ReadAllLines(file).Select(line => line.Split("//")[0]));
            Assert.DoesNotMatch(@"\blist[A-Z]\w*\(", code);
            Assert.DoesNotContain("AccountKey", code, StringComparison.OrdinalIgnoreCase);
        }

        var storage = Single("Microsoft.Storage/storageAccounts");
        Assert.False((bool)storage["properties"]!["allowSharedKeyAccess"]!);
    }

    [Fact]
    public void Every_silo_setting_is_in_the_host_schema_and_none_is_a_secret()
    {
        foreach (var (module, env) in SiloEnvironments())
        {
            foreach (var (name, value) in env)
            {
                Assert.True(SchemaNames.Contains(name), $"{module}: {name} is not in the silo host's configuration schema");
                Assert.DoesNotMatch(@"\blist[A-Z]\w*\(", value);
                Assert.DoesNotContain("secret", value, StringComparison.OrdinalIgnoreCase);
            }
        }

        // The optional settings are built in variables, from parameters: the API key only as its SHA-256.
        var apiKeyEnv = CompiledTemplate.EnvironmentVariables((string)compiled.Variable("apiKeyEnv")!);
        Assert.Equal(["Api__Keys__0__Name", "Api__Keys__0__Role", "Api__Keys__0__Sha256"], apiKeyEnv.Keys.Order());
        Assert.Equal("toLower(parameters('apiKeySha256'))", apiKeyEnv["Api__Keys__0__Sha256"]);
        var jwtEnv = CompiledTemplate.EnvironmentVariables((string)compiled.Variable("jwtEnv")!);
        Assert.Equal(["Api__Jwt__Audience", "Api__Jwt__Authority"], jwtEnv.Keys.Order());
        var concurrencyEnv = CompiledTemplate.EnvironmentVariables((string)compiled.Variable("inferenceConcurrencyEnv")!);
        Assert.Equal(["FaceSwap__Concurrency"], concurrencyEnv.Keys);
    }

    [Fact]
    public void Api_silo_settings_use_the_blob_endpoint_the_identity_and_the_static_ip()
    {
        var env = Environment("api-silo");
        AssertSharedSettings(env);
        Assert.Equal("'api'", env["FaceSwap__Role"]);
        Assert.Equal("string(variables('apiSiloPort'))", env["FaceSwap__Host__SiloPort"]);
        Assert.Equal("variables('dropQueue')", env["FaceSwap__Drop__Queue"]);
        Assert.Equal("faceswap-drops", (string?)compiled.Variable("dropQueue"));
        Assert.Equal("'0'", env["FaceSwap__Drop__WatchSeconds"]);
        Assert.Equal("'http://+:8080'", env["ASPNETCORE_URLS"]);
    }

    [Fact]
    public void Inference_silo_settings_give_each_silo_its_own_ports()
    {
        var env = Environment("inference-silo-");
        AssertSharedSettings(env);
        Assert.Equal("'inference'", env["FaceSwap__Role"]);
        Assert.Equal("string(add(variables('inferenceSiloPortBase'), range(0, parameters('inferenceSiloCount'))[copyIndex()]))", env["FaceSwap__Host__SiloPort"]);
        Assert.False(env.ContainsKey("FaceSwap__Drop__Queue"), "only api silos consume the drop queue");
    }

    [Fact]
    public void Inference_silos_ask_for_the_cuda_provider_and_the_api_silo_runs_no_models()
    {
        // Without it the GPU apps ran the engine on their CPUs (the silo's default provider is cpu).
        Assert.Equal("'cuda'", Environment("inference-silo-")["FaceSwap__ExecutionProvider"]);
        Assert.False(Environment("api-silo").ContainsKey("FaceSwap__ExecutionProvider"), "the api silo runs no models");
    }

    [Fact]
    public void The_api_silo_counts_failed_keys_per_forwarded_client_address()
    {
        // Behind the ingress every request comes from the proxy: without this one guesser throttles every caller.
        Assert.Equal("'true'", Environment("api-silo")["Api__BehindProxy"]);
    }

    [Fact]
    public void Exposed_ports_are_unique_in_the_environment_for_every_allowed_silo_count()
    {
        var max = (int)compiled.Template["parameters"]!["inferenceSiloCount"]!["maxValue"]!;
        int Var(string name) => (int)compiled.Variable(name)!;
        var ports = new List<int> { Var("apiSiloPort") };
        for (var i = 0; i < max; i++)
        {
            ports.Add(Var("inferenceSiloPortBase") + i);
        }

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.Equal(11111, Var("listenSiloPort"));

        // The module passes the same exposed ports to the ingress that the silo advertises.
        var inference = compiled.Module("inference-silo-");
        Assert.Equal("[add(variables('inferenceSiloPortBase'), range(0, parameters('inferenceSiloCount'))[copyIndex()])]", (string?)CompiledTemplate.ParameterValue(inference, "exposedSiloPort"));
        var api = compiled.Module("api-silo");
        Assert.Equal("[variables('apiSiloPort')]", (string?)CompiledTemplate.ParameterValue(api, "exposedSiloPort"));
    }

    [Fact]
    public void Every_container_app_runs_exactly_one_replica()
    {
        var apps = All("Microsoft.App/containerApps").ToList();
        Assert.NotEmpty(apps);
        foreach (var app in apps)
        {
            var scale = app.Resource["properties"]!["template"]!["scale"]!;
            Assert.Equal(1, (int)scale["minReplicas"]!);
            Assert.Equal(1, (int)scale["maxReplicas"]!);
            Assert.Null(scale["rules"]);
        }

        // Both silo modules deploy that one app definition.
        foreach (var module in new[] { compiled.Module("api-silo"), compiled.Module("inference-silo-") })
        {
            var inner = CompiledTemplate.Resources(CompiledTemplate.InnerTemplate(module)).ToList();
            Assert.Equal("Microsoft.App/containerApps", Assert.Single(inner)["type"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Inference_apps_are_one_module_copy_per_inferenceSiloCount_on_the_gpu_profile()
    {
        var parameter = compiled.Template["parameters"]!["inferenceSiloCount"]!;
        Assert.Equal("int", (string?)parameter["type"]);
        Assert.Equal(1, (int)parameter["defaultValue"]!);
        Assert.Equal(1, (int)parameter["minValue"]!);

        var loops = CompiledTemplate.Resources(compiled.Template).Where(r => r["copy"] is not null).ToList();
        var loop = Assert.Single(loops);
        Assert.Contains("inference-silo-", (string?)loop["name"], StringComparison.Ordinal);
        Assert.Equal("[length(range(0, parameters('inferenceSiloCount')))]", (string?)loop["copy"]!["count"]);
        Assert.Equal("[format('ca-inference-{0}-{1}', range(0, parameters('inferenceSiloCount'))[copyIndex()], variables('token'))]", (string?)CompiledTemplate.ParameterValue(loop, "name"));
        Assert.Equal("[variables('gpuProfileName')]", (string?)CompiledTemplate.ParameterValue(loop, "workloadProfileName"));
        Assert.False((bool)CompiledTemplate.ParameterValue(loop, "httpIngress")!);

        var api = compiled.Module("api-silo");
        Assert.Null(api["copy"]);
        Assert.Equal("Consumption", (string?)CompiledTemplate.ParameterValue(api, "workloadProfileName"));
        Assert.True((bool)CompiledTemplate.ParameterValue(api, "httpIngress")!);

        // azd deploys to exactly one app per service: the api app, and inference silo 0.
        Assert.Contains("'azd-service-name', 'api'", (string?)CompiledTemplate.ParameterValue(api, "tags"), StringComparison.Ordinal);
        Assert.Contains("if(equals(range(0, parameters('inferenceSiloCount'))[copyIndex()], 0), createObject('azd-service-name', 'inference')", (string?)CompiledTemplate.ParameterValue(loop, "tags"), StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_is_internal_with_a_consumption_and_a_gpu_profile()
    {
        var gpu = compiled.Template["parameters"]!["gpuProfile"]!;
        Assert.Equal("Consumption-GPU-NC8as-T4", (string?)gpu["defaultValue"]);
        Assert.Equal(["Consumption-GPU-NC24-A100", "Consumption-GPU-NC8as-T4"], gpu["allowedValues"]!.AsArray().Select(v => (string)v!).Order());

        var environment = Single("Microsoft.App/managedEnvironments")["properties"]!;
        Assert.True((bool)environment["vnetConfiguration"]!["internal"]!);
        Assert.Equal("azure-monitor", (string?)environment["appLogsConfiguration"]!["destination"]);
        var profiles = environment["workloadProfiles"]!.AsArray().Select(p => ((string?)p!["name"], (string?)p["workloadProfileType"])).ToList();
        Assert.Equal([("Consumption", "Consumption"), ("[parameters('gpuProfileName')]", "[parameters('gpuProfile')]")], profiles);
        var module = compiled.Module("environment");
        Assert.Equal("[parameters('gpuProfile')]", (string?)CompiledTemplate.ParameterValue(module, "gpuProfile"));
        Assert.Equal("[variables('gpuProfileName')]", (string?)CompiledTemplate.ParameterValue(module, "gpuProfileName"));

        var subnet = Single("Microsoft.Network/virtualNetworks/subnets")["properties"]!;
        Assert.Equal("Microsoft.App/environments", (string?)subnet["delegations"]![0]!["properties"]!["serviceName"]);
        var network = CompiledTemplate.InnerTemplate(compiled.Module("network"));
        Assert.EndsWith("/27", (string?)network["parameters"]!["subnetPrefix"]!["defaultValue"], StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_api_is_exposed_to_the_network_silo_ports_are_internal_to_the_environment_and_no_gateway_port_exists()
    {
        var silo = CompiledTemplate.InnerTemplate(compiled.Module("api-silo"));
        var ingress = (string)silo["variables"]!["ingress"]!;
        Assert.StartsWith("[if(parameters('httpIngress'), ", ingress, StringComparison.Ordinal);
        Assert.Contains("createObject('external', true(), 'transport', 'http', 'targetPort', variables('httpPort'), 'allowInsecure', false(), 'additionalPortMappings', createArray(variables('siloPortMapping')))", ingress, StringComparison.Ordinal);
        Assert.Contains("createObject('external', false(), 'transport', 'tcp', 'targetPort', variables('listenSiloPort'), 'exposedPort', parameters('exposedSiloPort'))", ingress, StringComparison.Ordinal);
        Assert.Equal(8080, (int)silo["variables"]!["httpPort"]!);
        Assert.False((bool)silo["variables"]!["siloPortMapping"]!["external"]!);
        Assert.Equal("[variables('listenSiloPort')]", (string?)silo["variables"]!["siloPortMapping"]!["targetPort"]);
        Assert.Equal("[parameters('exposedSiloPort')]", (string?)silo["variables"]!["siloPortMapping"]!["exposedPort"]);

        // No silo runs an Orleans gateway, so none has a gateway port in its settings or its ingress.
        Assert.DoesNotContain("gatewayPortMapping", silo["variables"]!.AsObject().Select(v => v.Key));
        Assert.Null(silo["parameters"]!["exposedGatewayPort"]);
        foreach (var module in new[] { "api-silo", "inference-silo-" })
        {
            var env = Environment(module);
            Assert.Equal("'false'", env["FaceSwap__Host__Gateway"]);
            Assert.False(env.ContainsKey("FaceSwap__Host__GatewayPort"), $"{module} sets a gateway port");
            Assert.False(env.ContainsKey("FaceSwap__Host__ListenGatewayPort"), $"{module} sets a gateway listen port");
        }
    }

    [Fact]
    public void Role_assignments_are_exactly_the_five_listed_roles_on_their_scopes_for_the_one_identity()
    {
        var assignments = All("Microsoft.Authorization/roleAssignments").Select(a => a.Resource).ToList();
        var roles = assignments.Select(a => RoleId(a)).Order().ToArray();
        Assert.Equal(new[] { BlobDataContributor, QueueDataContributor, TableDataContributor, QueueDataMessageSender, AcrPull }.Order(), roles);

        foreach (var assignment in assignments)
        {
            var role = RoleId(assignment);
            var scope = (string?)assignment["scope"];
            var expectedScope = role == AcrPull
                ? "[resourceId('Microsoft.ContainerRegistry/registries', parameters('registryName'))]"
                : "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]";
            Assert.Equal(expectedScope, scope);
            Assert.Equal("[parameters('principalId')]", (string?)assignment["properties"]!["principalId"]);
            Assert.Equal("ServicePrincipal", (string?)assignment["properties"]!["principalType"]);
        }

        // All five are in the roles module, for the user-assigned identity, on the account and registry of this deployment.
        var module = compiled.Module("roles");
        Assert.Equal(5, CompiledTemplate.Resources(CompiledTemplate.InnerTemplate(module)).Count(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments"));
        Assert.Equal("[reference('identity').outputs.principalId.value]", (string?)CompiledTemplate.ParameterValue(module, "principalId"));
        Assert.Equal("[reference('storage').outputs.name.value]", (string?)CompiledTemplate.ParameterValue(module, "storageAccountName"));
        Assert.Equal("[reference('registry').outputs.name.value]", (string?)CompiledTemplate.ParameterValue(module, "registryName"));
        Assert.Single(All("Microsoft.ManagedIdentity/userAssignedIdentities"));
    }

    [Fact]
    public void Event_grid_delivers_manifest_events_to_the_drop_queue_with_the_identity()
    {
        var topic = Single("Microsoft.EventGrid/systemTopics");
        Assert.Equal("Microsoft.Storage.StorageAccounts", (string?)topic["properties"]!["topicType"]);
        Assert.Equal("UserAssigned", (string?)topic["identity"]!["type"]);

        var subscription = Single("Microsoft.EventGrid/systemTopics/eventSubscriptions")["properties"]!;
        var delivery = subscription["deliveryWithResourceIdentity"]!;
        Assert.Equal("UserAssigned", (string?)delivery["identity"]!["type"]);
        Assert.Equal("[parameters('identityId')]", (string?)delivery["identity"]!["userAssignedIdentity"]);
        Assert.Equal("StorageQueue", (string?)delivery["destination"]!["endpointType"]);
        Assert.Equal("[parameters('queueName')]", (string?)delivery["destination"]!["properties"]!["queueName"]);
        Assert.Null(subscription["destination"]);

        var filter = subscription["filter"]!;
        Assert.Equal(["Microsoft.Storage.BlobCreated"], filter["includedEventTypes"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("[format('/blobServices/default/containers/{0}/', parameters('inboxContainer'))]", (string?)filter["subjectBeginsWith"]);
        Assert.Equal("[format('/{0}', parameters('manifestName'))]", (string?)filter["subjectEndsWith"]);

        var module = compiled.Module("events");
        Assert.Equal("faceswap-drops", (string?)compiled.Resolve(CompiledTemplate.ParameterValue(module, "queueName")));
        Assert.Equal("inbox", (string?)compiled.Resolve(CompiledTemplate.ParameterValue(module, "inboxContainer")));
        Assert.Equal("faceswap.json", (string?)compiled.Resolve(CompiledTemplate.ParameterValue(module, "manifestName")));
        Assert.Equal("[reference('identity').outputs.id.value]", (string?)CompiledTemplate.ParameterValue(module, "identityId"));
        Assert.Contains("roles", module["dependsOn"]!.AsArray().Select(d => (string?)d));
    }

    [Fact]
    public void Storage_has_the_containers_queues_and_orleans_tables()
    {
        var module = compiled.Module("storage");
        string[] Names(string parameter) => CompiledTemplate.ParameterValue(module, parameter)!.AsArray().Select(v => (string)compiled.Resolve(v)!).ToArray();
        Assert.Superset(new HashSet<string> { "inbox", "outbox", "state" }, Names("containers").ToHashSet());
        Assert.Equal(["faceswap-drops", "faceswap-drops-poison"], Names("queues"));
        Assert.Equal(["OrleansSiloInstances", "OrleansReminders"], Names("tables"));
    }

    [Fact]
    public void Outputs_give_azd_and_operators_what_they_need()
    {
        var outputs = compiled.Template["outputs"]!.AsObject();
        foreach (var name in new[] { "API_URL", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_BLOB_ENDPOINT", "AZURE_STORAGE_INBOX_CONTAINER", "AZURE_STORAGE_OUTBOX_CONTAINER", "AZURE_STORAGE_STATE_CONTAINER", "AZURE_CONTAINER_REGISTRY_ENDPOINT", "INFERENCE_APP_NAMES" })
        {
            Assert.True(outputs.ContainsKey(name), $"output {name}");
        }

        Assert.Equal("[reference('registry').outputs.loginServer.value]", (string?)outputs["AZURE_CONTAINER_REGISTRY_ENDPOINT"]!["value"]);
    }

    [Fact]
    public void Parameters_file_maps_every_parameter_to_the_azd_environment()
    {
        var file = JsonNode.Parse(File.ReadAllText(Repository.PathOf("infra/main.parameters.json")))!["parameters"]!.AsObject();
        var declared = compiled.Template["parameters"]!.AsObject();
        foreach (var (name, _) in file)
        {
            Assert.True(declared.ContainsKey(name), $"main.parameters.json sets {name}, which main.bicep does not declare");
        }

        foreach (var (name, parameter) in declared)
        {
            Assert.True(file.ContainsKey(name) || parameter!["defaultValue"] is not null, $"{name} has neither a default nor a value in main.parameters.json");
        }

        Assert.Equal("${AZURE_ENV_NAME}", (string?)file["environmentName"]!["value"]);
        Assert.Equal("${AZURE_LOCATION}", (string?)file["location"]!["value"]);
        Assert.Equal("${SERVICE_API_IMAGE_NAME=}", (string?)file["apiImage"]!["value"]);
        Assert.Equal("${SERVICE_INFERENCE_IMAGE_NAME=}", (string?)file["inferenceImage"]!["value"]);
    }

    [Fact]
    public void Apps_start_on_a_placeholder_image_until_azd_has_pushed_theirs()
    {
        Assert.StartsWith("mcr.microsoft.com/", (string?)compiled.Variable("placeholderImage"), StringComparison.Ordinal);
        Assert.Equal("[if(empty(parameters('apiImage')), createObject('value', variables('placeholderImage')), createObject('value', parameters('apiImage')))]", (string?)compiled.Module("api-silo")["properties"]!["parameters"]!["image"]);
        Assert.Equal("[if(empty(parameters('inferenceImage')), createObject('value', variables('placeholderImage')), createObject('value', parameters('inferenceImage')))]", (string?)compiled.Module("inference-silo-")["properties"]!["parameters"]!["image"]);
    }

    private void AssertSharedSettings(Dictionary<string, string> env)
    {
        Assert.Equal("reference('storage').outputs.blobEndpoint.value", env["FaceSwap__Storage"]);
        Assert.Equal("reference('identity').outputs.clientId.value", env["AZURE_CLIENT_ID"]);
        Assert.Equal("'azure-table'", env["FaceSwap__Host__Clustering"]);
        Assert.Equal("reference('environment').outputs.staticIp.value", env["FaceSwap__Host__AdvertisedAddress"]);
        Assert.Equal("string(variables('listenSiloPort'))", env["FaceSwap__Host__ListenSiloPort"]);
        Assert.Equal("'/app/models'", env["FaceSwap__ModelsPath"]);
        Assert.True(env.ContainsKey("FaceSwap__Host__ClusterId") && env.ContainsKey("FaceSwap__Host__ServiceId"));

        // The storage setting is the blob endpoint of the account: https://<account>.blob.core.windows.net.
        var storage = CompiledTemplate.InnerTemplate(compiled.Module("storage"));
        var endpoint = (string?)storage["outputs"]!["blobEndpoint"]!["value"];
        Assert.StartsWith("[join(take(split(reference(", endpoint, StringComparison.Ordinal);
        Assert.EndsWith(".primaryEndpoints.blob, '/'), 3), '/')]", endpoint, StringComparison.Ordinal);
    }

    private Dictionary<string, string> Environment(string module) =>
        CompiledTemplate.EnvironmentVariables((string)CompiledTemplate.ParameterValue(compiled.Module(module), "env")!);

    private IEnumerable<(string Module, Dictionary<string, string> Env)> SiloEnvironments() =>
        [("api-silo", Environment("api-silo")), ("inference-silo-", Environment("inference-silo-"))];

    private IEnumerable<Located> All(string type) => CompiledTemplate.AllResources(compiled.Template).Where(r => r.Type == type);

    private JsonObject Single(string type) => Assert.Single(All(type)).Resource;

    private static string RoleId(JsonObject assignment) =>
        RoleGuid().Match((string?)assignment["properties"]!["roleDefinitionId"] ?? "") is { Success: true } m
            ? m.Groups[1].Value
            : throw new Xunit.Sdk.XunitException($"role definition id not understood: {assignment["properties"]!["roleDefinitionId"]}");

    [GeneratedRegex(@"^\[subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', '([0-9a-f-]{36})'\)\]$")]
    private static partial Regex RoleGuid();
}
