namespace FaceSwap.ModelStore;

/// <summary>Finds the repository this program was built from, if it runs from one.</summary>
public static class RepositoryLocator
{
    /// <summary>The folder holding FaceSwap.Orleans.sln above the executable or the working directory, or null.</summary>
    public static string? FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FaceSwap.Orleans.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
