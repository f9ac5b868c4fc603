namespace FaceSwap.Silo.Api;

/// <summary>One file of an upload, as stored.</summary>
/// <param name="Path">The file's path inside the upload, as it was put (e.g. <c>photos/2024/a.jpg</c>).</param>
/// <param name="BlobPath">The file's storage path, to name in a job (e.g. <c>inbox/uploads/ID/photos/2024/a.jpg</c>).</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Sha256">SHA-256 of its content, lowercase hex: a client skips a file whose hash is already here.</param>
public sealed record UploadedFile(string Path, string BlobPath, long Size, string? Sha256);

/// <summary>What an upload holds so far, a page at a time.</summary>
/// <param name="UploadId">The upload.</param>
/// <param name="Prefix">The storage prefix its files are under (a job's input is a folder below it).</param>
/// <param name="Output">A storage prefix for the outputs of a job over this upload.</param>
/// <param name="Files">The files of this page, in path order.</param>
/// <param name="Next">The cursor of the next page; null on the last.</param>
/// <param name="MaxFileBytes">The largest file this host takes, so a client can leave larger ones out before sending them.</param>
public sealed record UploadListing(string UploadId, string Prefix, string Output, IReadOnlyList<UploadedFile> Files, string? Next, long MaxFileBytes);
