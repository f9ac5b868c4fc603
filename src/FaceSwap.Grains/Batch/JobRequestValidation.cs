using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Safety;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>Turns a job request (from the API or a blob-drop manifest) into a job spec, or into the list of what is wrong with it, field by field.</summary>
public static class JobRequestValidation
{
    /// <summary>The message of a preview size out of range (code <see cref="JobRefusalCodes.PreviewOutOfRange"/>).</summary>
    public static readonly string PreviewRange = $"must be 1 to {JobOptions.MaxPreview} images (leave it out for the whole input)";

    /// <summary>
    /// Checks the request's shape, the host's job <paramref name="policy"/> and, against the store, that the source
    /// exists and the input has files. Errors are by field; <c>Codes</c> gives the policy's code of a field it refused
    /// (<see cref="JobRefusalCodes"/>).
    /// </summary>
    public static async Task<(JobSpec? Spec, Dictionary<string, string[]> Errors, Dictionary<string, string> Codes)> ValidateAsync(
        SubmitJobRequest request, string submittedBy, IBlobStore store, JobPolicy policy, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var codes = new Dictionary<string, string>();
        void Add(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        var input = Prefix(request.Input);
        var output = Prefix(request.Output);
        if (BlobPathRules.Problem(input, isPrefix: true) is { } inputProblem)
        {
            Add("input", inputProblem);
        }

        if (BlobPathRules.Problem(output, isPrefix: true) is { } outputProblem)
        {
            Add("output", outputProblem);
        }
        else if (input is not null && output == input)
        {
            Add("output", "must differ from input: outputs would overwrite the originals");
        }

        if (request.JobId is not null && !JobIds.IsValid(request.JobId))
        {
            Add("jobId", "must be 1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit");
        }

        if (request.ConsentReference is { Length: > 256 })
        {
            Add("consentReference", "must be at most 256 characters");
        }

        // The policy the BatchGrain enforces again: submitter, consent, watermark, the host's pixel limit.
        var options = policy.Defaults(request.Options ?? new JobOptions());
        foreach (var refusal in policy.Check(submittedBy, request.ConsentReference, options))
        {
            Add(refusal.Field, refusal.Message);
            codes[refusal.Field] = refusal.Code;
        }

        if (options.BatchSize is < 1 or > JobOptions.MaxBatchSize)
        {
            Add("options.batchSize", $"must be between 1 and {JobOptions.MaxBatchSize}");
        }

        if (options.Prefetch is < 1 or > JobOptions.MaxPrefetch)
        {
            Add("options.prefetch", $"must be between 1 and {JobOptions.MaxPrefetch}");
        }

        if (options.Quality is < 1 or > 100)
        {
            Add("options.quality", "must be between 1 and 100");
        }

        if (!JobOptions.Formats.Contains(options.Format))
        {
            Add("options.format", "must be 'keep', 'jpg', 'png' or 'webp'");
        }

        if (options.MaxFileBytes < 1)
        {
            Add("options.maxFileBytes", "must be positive");
        }

        if (!Enum.IsDefined(options.Faces))
        {
            Add("options.faces", "must be 'all', 'largest' or 'reference'");
        }

        var references = options.References ?? [];
        if (options.Faces == FaceMode.Reference && references.Count == 0)
        {
            Add("options.references", "faces 'reference' needs at least one reference face (a storage path of a photo of the person)");
        }
        else if (options.Faces != FaceMode.Reference && references.Count > 0)
        {
            Add("options.references", "are only used with faces 'reference'");
        }
        else if (references.Count > JobOptions.MaxReferences)
        {
            Add("options.references", $"must be at most {JobOptions.MaxReferences}");
        }
        else
        {
            foreach (var reference in references)
            {
                if (BlobPathRules.Problem(reference, isPrefix: false) is { } referenceProblem)
                {
                    Add("options.references", $"'{reference}': {referenceProblem}");
                }
            }
        }

        if (!(options.ReferenceDistance > 0 && options.ReferenceDistance <= 2))
        {
            Add("options.referenceDistance", "must be a cosine distance in (0, 2]");
        }

        if (options.Preview is < 1 or > JobOptions.MaxPreview)
        {
            Add("options.preview", PreviewRange);
            codes["options.preview"] = JobRefusalCodes.PreviewOutOfRange;
        }

        if (options.MinFace < 0)
        {
            Add("options.minFace", "must be 0 or more (pixels)");
        }

        SourceValidation.CheckShape(request, options, Add);
        ModelOptionsValidation.Validate(options, Add);

        if (errors.Count > 0)
        {
            return (null, errors, codes);
        }

        // Where the outputs go, links resolved: never onto the originals, never into the state area.
        try
        {
            if (OutputPlacement.Check(store, input!, output!, policy.AuditPrefix) is { } refusal)
            {
                Add(refusal.Field, refusal.Message);
                codes[refusal.Field] = refusal.Code;
            }
        }
        catch (InvalidBlobPathException e)
        {
            Add(e.Path == input ? "input" : "output", e.Reason);
        }

        // The store's own path checks (a symbolic link out of the root, a name the file system cannot hold) are the
        // field's fault, not the server's: a 400 naming it.
        string? source = null;
        await FieldAsync("source", async () => source = await SourceValidation.CheckStoreAsync(request, store, Add, cancellationToken), Add);

        foreach (var reference in references)
        {
            await FieldAsync("options.references", async () =>
            {
                if (await store.GetPropertiesAsync(reference, cancellationToken) is null)
                {
                    Add("options.references", $"no image at {reference}");
                }
            }, Add);
        }

        await FieldAsync("input", async () =>
        {
            if (await store.ListAsync(input!, null, 1, cancellationToken) is { Items.Count: 0, ContinuationToken: null })
            {
                Add("input", $"no files under {input}");
            }
        }, Add);

        if (errors.Count > 0)
        {
            return (null, errors, codes);
        }

        return (new JobSpec
        {
            Source = source!,
            Sources = SourceValidation.Entries(request),
            Input = input!,
            Output = output!,
            Options = options,
            SubmittedBy = submittedBy,
            ConsentReference = request.ConsentReference,
        }, errors, codes);
    }

    /// <summary>
    /// The shape every spec must have when it reaches the BatchGrain, whichever door it came through (the REST API's
    /// checks or not): a source, input and output prefixes ending with '/', and a preview size, batch and window in range.
    /// </summary>
    /// <exception cref="ArgumentException">The spec lacks a prefix or the source, or its batch or window is out of range.</exception>
    /// <exception cref="JobRefusedException">Its preview size is out of range (<see cref="JobRefusalCodes.PreviewOutOfRange"/>).</exception>
    public static void EnsureValid(JobSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Source) || string.IsNullOrWhiteSpace(spec.Input) || string.IsNullOrWhiteSpace(spec.Output))
        {
            throw new ArgumentException("a job needs a source, an input prefix and an output prefix");
        }

        if (!spec.Input.EndsWith('/') || !spec.Output.EndsWith('/'))
        {
            throw new ArgumentException("input and output prefixes must end with '/'");
        }

        if (spec.Options.Preview is < 1 or > JobOptions.MaxPreview)
        {
            throw new JobRefusedException(JobRefusalCodes.PreviewOutOfRange, "options.preview", PreviewRange);
        }

        // The window and the batch are held in memory as given: a value out of range is refused, not clamped.
        if (spec.Options.BatchSize is < 1 or > JobOptions.MaxBatchSize || spec.Options.Prefetch is < 1 or > JobOptions.MaxPrefetch)
        {
            throw new ArgumentException($"options.batchSize must be 1 to {JobOptions.MaxBatchSize} and options.prefetch 1 to {JobOptions.MaxPrefetch}");
        }
    }

    /// <summary>Runs a store check of one field; a path the store refuses becomes that field's error.</summary>
    private static async Task FieldAsync(string field, Func<Task> check, Action<string, string> add)
    {
        try
        {
            await check();
        }
        catch (InvalidBlobPathException e)
        {
            add(field, $"'{e.Path}': {e.Reason}");
        }
        catch (PathTooLongException)
        {
            add(field, "a name in the path is longer than the storage allows");
        }
    }

    private static string? Prefix(string? value) =>
        string.IsNullOrWhiteSpace(value) ? value : value.EndsWith('/') ? value : value + "/";
}
