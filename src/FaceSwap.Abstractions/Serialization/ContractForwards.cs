using System.Runtime.CompilerServices;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;

// The wire contracts moved to FaceSwap.Contracts with their namespaces. Grain state is stored as JSON naming each type
// with its assembly ("FaceSwap.Abstractions.Jobs.JobSpec, FaceSwap.Abstractions"); these forwards make the state of jobs
// written before the move resolve to the same types.
[assembly: TypeForwardedTo(typeof(JobSpec))]
[assembly: TypeForwardedTo(typeof(JobOptions))]
[assembly: TypeForwardedTo(typeof(FaceMode))]
[assembly: TypeForwardedTo(typeof(SourcesMode))]
[assembly: TypeForwardedTo(typeof(JobStatus))]
[assembly: TypeForwardedTo(typeof(JobState))]
[assembly: TypeForwardedTo(typeof(JobCounters))]
[assembly: TypeForwardedTo(typeof(ImageOutcome))]
[assembly: TypeForwardedTo(typeof(ImageStatus))]
[assembly: TypeForwardedTo(typeof(FaceOutcome))]
[assembly: TypeForwardedTo(typeof(ReviewReasons))]
[assembly: TypeForwardedTo(typeof(JobRefusalCodes))]
[assembly: TypeForwardedTo(typeof(SubmitJobRequest))]
[assembly: TypeForwardedTo(typeof(FaceSwapJson))]
[assembly: TypeForwardedTo(typeof(JobIds))]
