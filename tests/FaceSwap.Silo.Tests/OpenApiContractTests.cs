using System.Diagnostics;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Silo.Tests;

/// <summary>A host whose document the contract tests read (local storage, the test keys).</summary>
public sealed class OpenApiHostFixture : IAsyncLifetime
{
    private readonly TemporaryDirectory root = new("faceswap-openapi");

    /// <summary>The host.</summary>
    public ApiHost Host { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Host = await ApiHost.StartAsync("local:" + root.FullPath, "--FaceSwap:Host:LoadModelsAtStart=false");

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        root.Dispose();
    }
}

/// <summary>
/// The public OpenAPI contract: /openapi/v1.json as served matches the committed docs/openapi.json, lists the /api
/// routes only, and passes Redocly CLI's recommended rules with no error and no warning.
/// </summary>
public sealed class OpenApiContractTests(OpenApiHostFixture fixture, ITestOutputHelper output) : IClassFixture<OpenApiHostFixture>
{
    /// <summary>Set to 1 to write the served document over the committed snapshot (a contract change on purpose).</summary>
    public const string UpdateVariable = "FACESWAP_UPDATE_OPENAPI_SNAPSHOT";

    /// <summary>
    /// The server URL the snapshot holds in place of the test host's (a served document names the address it was fetched
    /// from); not localhost, which the linter rightly warns of in a published contract.
    /// </summary>
    private const string SnapshotServer = "https://faceswap.contoso.com";

    private static string SnapshotPath => Path.Join(AzuriteInstaller.FindRepositoryRoot(), "docs", "openapi.json");

    [Fact]
    public async Task The_served_document_matches_the_committed_snapshot()
    {
        var served = await ServedAsync(fixture.Host);
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(SnapshotPath, text);
            output.WriteLine($"wrote {SnapshotPath}");
        }

        var committed = JsonNode.Parse(await File.ReadAllTextAsync(SnapshotPath));
        Assert.True(JsonNode.DeepEquals(committed, served),
            $"The served /openapi/v1.json differs from the committed docs/openapi.json: the API's contract changed. If that is on purpose, "
            + $"run the test again with {UpdateVariable}=1 to rewrite the snapshot, review its diff, run scripts/lint-openapi.sh, and commit it. "
            + $"First difference: {FirstDifference(committed, served, "$")}");
    }

    [Fact]
    public async Task Without_a_key_the_document_lists_only_api_routes_each_with_summary_operation_id_security_and_problem_details_for_every_4xx()
    {
        using var anonymous = fixture.Host.CreateClient(apiKey: null);
        using var response = await anonymous.GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.All(paths, p => Assert.StartsWith("/api/", p, StringComparison.Ordinal));
        Assert.DoesNotContain(paths, p => p.Contains("dashboard", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("X-Api-Key", (string?)document["components"]!["securitySchemes"]!["ApiKey"]!["name"]);
        Assert.DoesNotContain("EntraId", document["components"]!["securitySchemes"]!.AsObject().Select(s => s.Key));
        Assert.False(((string?)document["servers"]![0]!["url"])!.EndsWith('/'));
        Assert.NotNull(document["info"]!["license"]);

        var operations = Operations(document).ToList();
        Assert.Equal(15, operations.Count);
        Assert.Equal(operations.Count, operations.Select(o => (string?)o.Operation["operationId"]).Distinct().Count());
        foreach (var (name, operation) in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["summary"]), $"{name}: no summary");
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["description"]), $"{name}: no description");
            Assert.Equal("ApiKey", operation["security"]![0]!.AsObject().Single().Key);
            var responses = operation["responses"]!.AsObject();
            Assert.Contains(responses, r => r.Key.StartsWith('2'));
            foreach (var (status, value) in responses.Where(r => r.Key.StartsWith('4')))
            {
                Assert.True(value!["content"]?["application/problem+json"]?["schema"] is not null, $"{name} {status}: not a problem details response");
            }

            Assert.Contains("401", responses.Select(r => r.Key));
            Assert.Contains("429", responses.Select(r => r.Key));
        }
    }

    [Fact]
    public async Task With_entra_id_configured_every_operation_also_takes_a_bearer_token()
    {
        using var root = new TemporaryDirectory("faceswap-openapi-jwt");
        await using var host = await ApiHost.StartAsync("local:" + root.FullPath, "--FaceSwap:Host:LoadModelsAtStart=false",
            "--Api:Jwt:Authority=https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0", "--Api:Jwt:Audience=api://faceswap");
        var document = await ServedAsync(host);

        var scheme = document["components"]!["securitySchemes"]!["EntraId"]!;
        Assert.Equal("http", (string?)scheme["type"]);
        Assert.Equal("bearer", (string?)scheme["scheme"]);
        Assert.All(Operations(document), o => Assert.Equal(
            ["ApiKey", "EntraId"],
            o.Operation["security"]!.AsArray().Select(r => r!.AsObject().Single().Key)));

        // That variant lints clean too.
        var file = Path.Join(root.FullPath, "openapi-entra.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());
        var lint = await LintAsync(file);
        Assert.True(lint.Totals == (0, 0), lint.Report);
    }

    [Fact]
    public async Task The_committed_document_passes_the_linters_recommended_rules_with_no_error_and_no_warning()
    {
        var lint = await LintAsync(SnapshotPath);
        output.WriteLine(lint.Report);
        Assert.True(lint.Totals == (0, 0), lint.Report);
    }

    private static async Task<JsonNode> ServedAsync(ApiHost host)
    {
        using var anonymous = host.CreateClient(apiKey: null);
        var document = JsonNode.Parse(await anonymous.GetStringAsync("openapi/v1.json"))!;
        foreach (var server in document["servers"]!.AsArray())
        {
            server!["url"] = SnapshotServer;
        }

        return document;
    }

    private static IEnumerable<(string Name, JsonObject Operation)> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => ($"{m.Key.ToUpperInvariant()} {p.Key}", m.Value!.AsObject())));

    /// <summary>Runs scripts/lint-openapi.sh (which installs Redocly CLI into .tools/redocly on first use) with JSON output.</summary>
    private static async Task<((int Errors, int Warnings) Totals, string Report)> LintAsync(string file)
    {
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Join(AzuriteInstaller.FindRepositoryRoot(), "scripts", "lint-openapi.sh"), file, "--format=json" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        var report = JsonNode.Parse(await stdout);
        Assert.True(report?["totals"] is not null, $"lint-openapi.sh exited {process.ExitCode} without a report: {await stderr}");
        var totals = ((int)report!["totals"]!["errors"]!, (int)report["totals"]!["warnings"]!);
        var problems = string.Join("\n", report["problems"]!.AsArray().Select(p =>
            $"{p!["severity"]} {p["ruleId"]}: {p["message"]} at {p["location"]?[0]?["pointer"]}"));
        return (totals, $"lint-openapi.sh exit {process.ExitCode}: {totals.Item1} errors, {totals.Item2} warnings\n{problems}");
    }

    private static string FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        if (expected is JsonObject e && actual is JsonObject a)
        {
            foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
            {
                if (!JsonNode.DeepEquals(e[key], a[key]))
                {
                    return FirstDifference(e[key], a[key], $"{path}.{key}");
                }
            }
        }
        else if (expected is JsonArray ea && actual is JsonArray aa && ea.Count == aa.Count)
        {
            for (var i = 0; i < ea.Count; i++)
            {
                if (!JsonNode.DeepEquals(ea[i], aa[i]))
                {
                    return FirstDifference(ea[i], aa[i], $"{path}[{i}]");
                }
            }
        }

        return $"{path}: committed {Short(expected)}, served {Short(actual)}";
    }

    private static string Short(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "nothing";
        return text.Length > 200 ? text[..200] + "..." : text;
    }
}
