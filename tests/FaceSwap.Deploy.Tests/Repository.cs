namespace FaceSwap.Deploy.Tests;

/// <summary>Paths in the repository the tests run from.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder holding FaceSwap.Orleans.sln.</summary>
    public static string Root => RootPath.Value;

    /// <summary>A path below the repository root, written with forward slashes.</summary>
    public static string PathOf(string relative) => Path.GetFullPath(Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar)));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaceSwap.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no FaceSwap.Orleans.sln above {AppContext.BaseDirectory}");
    }
}
