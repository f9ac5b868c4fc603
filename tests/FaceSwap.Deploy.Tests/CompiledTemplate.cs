using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FaceSwap.Deploy.Tests;

/// <summary>infra/main.bicep compiled once per test run by scripts/bicep.sh, and the ARM template it produced.</summary>
public sealed partial class CompiledTemplate : IDisposable
{
    /// <summary>Collection of the tests that read the compiled template.</summary>
    public const string Collection = "bicep";

    private readonly string folder = Directory.CreateTempSubdirectory("faceswap-bicep-").FullName;

    /// <summary>Runs scripts/bicep.sh (restores the Bicep CLI from NuGet on first use, then compiles).</summary>
    public CompiledTemplate()
    {
        var outfile = Path.Combine(folder, "main.json");
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Repository.PathOf("scripts/bicep.sh"));
        start.ArgumentList.Add(outfile);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("scripts/bicep.sh ran for more than 5 minutes");
        }

        ExitCode = process.ExitCode;
        Output = stdout.GetAwaiter().GetResult();
        Diagnostics = stderr.GetAwaiter().GetResult();
        Text = File.Exists(outfile) ? File.ReadAllText(outfile) : "";
        Template = Text.Length > 0 ? JsonNode.Parse(Text)!.AsObject() : new JsonObject();
    }

    /// <summary>Exit status of scripts/bicep.sh.</summary>
    public int ExitCode { get; }

    /// <summary>What the script wrote on stdout (the template's path).</summary>
    public string Output { get; }

    /// <summary>What the script and the Bicep CLI wrote on stderr (version line and any diagnostics).</summary>
    public string Diagnostics { get; }

    /// <summary>The ARM template as text.</summary>
    public string Text { get; }

    /// <summary>The ARM template.</summary>
    public JsonObject Template { get; }

    /// <summary>Every resource of a template and of the inline templates of its nested deployments (modules).</summary>
    public static IEnumerable<Located> AllResources(JsonObject template)
    {
        foreach (var resource in Resources(template))
        {
            yield return new Located(resource, template);
            if ((string?)resource["type"] == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject inner)
            {
                foreach (var nested in AllResources(inner))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>The resources of one template: an array, or an object keyed by symbolic name (languageVersion 2.0).</summary>
    public static IEnumerable<JsonObject> Resources(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject map => map.Select(pair => pair.Value).OfType<JsonObject>(),
        _ => [],
    };

    /// <summary>The top-level module (nested deployment) whose deployment name is or starts with <paramref name="name"/>.</summary>
    public JsonObject Module(string name) =>
        Resources(Template).Single(r => (string?)r["type"] == "Microsoft.Resources/deployments"
            && ((string?)r["name"] == name || ((string?)r["name"] ?? "").Contains($"'{name}", StringComparison.Ordinal)));

    /// <summary>A module's inline template.</summary>
    public static JsonObject InnerTemplate(JsonObject module) => module["properties"]!["template"]!.AsObject();

    /// <summary>The value (or expression) a module passes for one parameter.</summary>
    public static JsonNode? ParameterValue(JsonObject module, string parameter) => module["properties"]!["parameters"]![parameter]?["value"];

    /// <summary>A variable of the main template, resolved when it is a literal.</summary>
    public JsonNode? Variable(string name) => Template["variables"]?[name];

    /// <summary>
    /// Resolves a string of the form <c>[variables('x')]</c> to the main template's variable x; other values as they are.
    /// </summary>
    public JsonNode? Resolve(JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var text) && VariableReference().Match(text) is { Success: true } m
            ? Variable(m.Groups[1].Value)
            : value;

    /// <summary>
    /// The environment variables an ARM expression builds with <c>createObject('name', 'N', 'value', EXPR)</c>: N to EXPR.
    /// </summary>
    public static Dictionary<string, string> EnvironmentVariables(string expression)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        const string marker = "createObject('name', '";
        for (var at = expression.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = expression.IndexOf(marker, at + 1, StringComparison.Ordinal))
        {
            var nameStart = at + marker.Length;
            var nameEnd = expression.IndexOf('\'', nameStart);
            var name = expression[nameStart..nameEnd];
            const string valueMarker = "', 'value', ";
            if (string.CompareOrdinal(expression, nameEnd, valueMarker, 0, valueMarker.Length) != 0)
            {
                continue;
            }

            var valueStart = nameEnd + valueMarker.Length;
            result[name] = expression[valueStart..EndOfArgument(expression, valueStart)].Trim();
        }

        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    // Index of the ')' that closes the call the argument at `start` belongs to (quotes '' escaped as in ARM).
    private static int EndOfArgument(string expression, int start)
    {
        var depth = 0;
        var quoted = false;
        for (var i = start; i < expression.Length; i++)
        {
            var c = expression[i];
            if (quoted)
            {
                if (c == '\'' && i + 1 < expression.Length && expression[i + 1] == '\'')
                {
                    i++;
                }
                else if (c == '\'')
                {
                    quoted = false;
                }
            }
            else if (c == '\'')
            {
                quoted = true;
            }
            else if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                if (depth == 0)
                {
                    return i;
                }

                depth--;
            }
        }

        throw new FormatException($"unbalanced expression after position {start}: {expression}");
    }

    [GeneratedRegex(@"^\[variables\('([^']+)'\)\]$")]
    private static partial Regex VariableReference();
}

/// <summary>A resource and the template it is declared in.</summary>
public sealed record Located(JsonObject Resource, JsonObject Template)
{
    /// <summary>The resource type.</summary>
    public string Type => (string?)Resource["type"] ?? "";
}

/// <summary>The tests that share one compilation.</summary>
[CollectionDefinition(CompiledTemplate.Collection)]
public sealed class CompiledTemplateCollection : ICollectionFixture<CompiledTemplate>;
