using FaceSwap.Abstractions.Api;
using FaceSwap.Client;
using FaceSwap.Samples.SubmitFolder;

// Usage: FaceSwap.Samples.SubmitFolder SOURCE INPUT_FOLDER/ OUTPUT_FOLDER/
// Paths are in the server's storage (as the API takes them); FACESWAP_SERVER (default http://localhost:5000/) and
// FACESWAP_API_KEY name the server and the key. Exit code: 0 all swapped, 1 some images failed, 2 the job was refused.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: FaceSwap.Samples.SubmitFolder SOURCE INPUT_FOLDER/ OUTPUT_FOLDER/");
    return 2;
}

var server = new Uri(Environment.GetEnvironmentVariable("FACESWAP_SERVER") ?? "http://localhost:5000/");
var apiKey = Environment.GetEnvironmentVariable("FACESWAP_API_KEY");
if (string.IsNullOrEmpty(apiKey))
{
    Console.Error.WriteLine("set FACESWAP_API_KEY to an API key with the submit role");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
using var client = new FaceSwapClient(server, apiKey);
try
{
    var report = await new FolderJob(client, Console.Out).RunAsync(
        new SubmitJobRequest { Source = args[0], Input = args[1], Output = args[2] },
        cancel.Token);
    return report.Failures.Count == 0 ? 0 : 1;
}
catch (FaceSwapRequestFailedException e) when (e.Status is 400 or 422)
{
    Console.Error.WriteLine($"refused ({e.ErrorCode ?? e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)}): {e.Message}");
    return 2;
}
