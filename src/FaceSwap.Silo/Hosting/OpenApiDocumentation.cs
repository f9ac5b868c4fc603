using FaceSwap.Silo.Api;
using FaceSwap.Silo.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FaceSwap.Silo.Hosting;

/// <summary>
/// The public OpenAPI document at /openapi/v1.json: the /api routes only (no dashboard, health or readiness routes),
/// the API-key scheme (and Entra ID bearer tokens when Api:Jwt:Authority is set) declared and required per route, tags
/// and licence described. docs/openapi.json is its committed snapshot (OpenApiContractTests hold the two together;
/// scripts/lint-openapi.sh lints it).
/// </summary>
public static class OpenApiDocumentation
{
    /// <summary>The name of the API-key security scheme in the document.</summary>
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>The name of the bearer-token security scheme, declared when Entra ID tokens are accepted.</summary>
    public const string BearerScheme = "EntraId";

    /// <summary>Registers the document with its transformers.</summary>
    public static IServiceCollection AddFaceSwapOpenApi(this IServiceCollection services, bool bearerTokens) =>
        services.AddOpenApi(o =>
        {
            o.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer((document, _, _) =>
            {
                Describe(document, bearerTokens);
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                RequireSecurity(operation, context, bearerTokens);
                DescribeBinaryContent(operation);
                SortResponses(operation);
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, context, _) =>
            {
                DescribeCodes(schema, context.JsonTypeInfo.Type);
                return Task.CompletedTask;
            });
        });

    private static void Describe(OpenApiDocument document, bool bearerTokens)
    {
        document.Info = new OpenApiInfo
        {
            Title = "FaceSwap API",
            Version = "v1",
            Description = "Batch face swapping over blob storage: submit a job (a source face, an input folder, an output folder), "
                + "follow it live, page through its per-image outcomes. Every call needs an API key (X-Api-Key) of the role "
                + "the operation names (read < submit < admin). Errors are RFC 9457 problem details; refusals carry a `code` "
                + "or `codes` member to match on, never the message text.",
            License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-FaceSwap-Proprietary" },
        };

        // The server is where the document was fetched from; a trailing slash would double the paths' leading one.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Tags = new HashSet<OpenApiTag>(OpenApiTags.Descriptions.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyOptions.Header,
            Description = "An API key configured on the host (Api:Keys, or FACESWAP_ADMIN_KEY); its role is read, submit or admin.",
        };
        if (bearerTokens)
        {
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An Entra ID access token for the configured audience; its `roles` claim holds read, submit or admin.",
            };
        }
    }

    /// <summary>An operation whose endpoint requires authorization takes an API key, or a bearer token where those are accepted.</summary>
    private static void RequireSecurity(OpenApiOperation operation, OpenApiOperationTransformerContext context, bool bearerTokens)
    {
        var policies = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().ToList();
        if (policies.Count == 0)
        {
            return;
        }

        var role = policies.Select(p => p.Policy).LastOrDefault(p => p is not null);
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] }];
        if (bearerTokens)
        {
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
        }

        if (role is not null)
        {
            operation.Description = $"{operation.Description}\n\nRole: {role} or higher.".TrimStart();
        }
    }

    /// <summary>An image or zip response, and an uploaded file, are the file's bytes, not base64 text.</summary>
    private static void DescribeBinaryContent(OpenApiOperation operation)
    {
        var contents = (operation.Responses?.Values.OfType<OpenApiResponse>().Select(r => r.Content) ?? [])
            .Append((operation.RequestBody as OpenApiRequestBody)?.Content);
        foreach (var content in contents)
        {
            foreach (var (mediaType, media) in content ?? new Dictionary<string, OpenApiMediaType>())
            {
                if (mediaType.StartsWith("image/", StringComparison.Ordinal) || mediaType is "application/zip" or "application/octet-stream")
                {
                    media.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
                }
            }
        }
    }

    /// <summary>The members problems carry to be matched on: <c>code</c> (and <c>field</c>) on a problem, <c>codes</c> per field on a 400.</summary>
    private static void DescribeCodes(OpenApiSchema schema, Type type)
    {
        if (type == typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))
        {
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["codes"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String },
                Description = "For the fields the job policy refused, the refusal's code (e.g. consent_required, max_pixels_out_of_range, output_overlaps_input).",
            };
        }
        else if (type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))
        {
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["code"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "A stable code to match on, never the title or detail: every 4xx problem has one (e.g. job_not_found, "
                    + "rate_limited, auth_throttled; for a refused job the code of its error, e.g. no_face, poor_source, model_missing).",
            };
            schema.Properties["field"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The request field a 422 is about: source, options.references or a model option (options.swapper, ...).",
            };
        }
    }

    /// <summary>Responses in status-code order (the group's 401/403/429 would otherwise come before the route's 200).</summary>
    private static void SortResponses(OpenApiOperation operation)
    {
        if (operation.Responses is not { Count: > 1 } responses)
        {
            return;
        }

        var sorted = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        responses.Clear();
        foreach (var (status, response) in sorted)
        {
            responses[status] = response;
        }
    }

    /// <summary>Whether the host accepts Entra ID bearer tokens (Api:Jwt:Authority is set).</summary>
    public static bool BearerTokensConfigured(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration["Api:Jwt:Authority"]);
}
