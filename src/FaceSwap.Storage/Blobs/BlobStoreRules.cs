using System.Text;

namespace FaceSwap.Storage;

/// <summary>Argument rules every store applies the same way, so local and Azure behave alike.</summary>
internal static class BlobStoreRules
{
    /// <summary>The largest page a listing may ask for (Azure's own limit).</summary>
    public const int MaxPageSize = 5000;

    public static void ValidatePageSize(int pageSize)
    {
        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, $"The page size must be between 1 and {MaxPageSize}.");
        }
    }

    public static void ValidateMaxBytes(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
    }

    /// <summary>Checks metadata against Azure's rules: identifier keys (unique ignoring case), printable ASCII values.</summary>
    public static Dictionary<string, string> ValidateMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (metadata is null)
        {
            return result;
        }

        foreach (var (key, value) in metadata)
        {
            if (!IsIdentifier(key))
            {
                throw new ArgumentException($"Metadata key '{key}' is not allowed: keys are C# identifiers (a letter or '_', then letters, digits or '_').", nameof(metadata));
            }

            ArgumentNullException.ThrowIfNull(value, $"{nameof(metadata)}[{key}]");
            foreach (var c in value)
            {
                if (c is < ' ' or > '~')
                {
                    throw new ArgumentException($"Metadata value of '{key}' is not allowed: values are printable ASCII.", nameof(metadata));
                }
            }

            if (!result.TryAdd(key, value))
            {
                throw new ArgumentException($"Metadata key '{key}' appears twice (keys are case-insensitive).", nameof(metadata));
            }
        }

        return result;
    }

    /// <summary>Joins lines into UTF-8 bytes, each line ending with '\n'; rejects lines that contain line breaks.</summary>
    public static byte[] EncodeLines(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var builder = new StringBuilder();
        foreach (var line in lines)
        {
            ArgumentNullException.ThrowIfNull(line, nameof(lines));
            if (line.AsSpan().IndexOfAny('\n', '\r') >= 0)
            {
                throw new ArgumentException("A line to append contains a line break; each line must be one JSON document on one line.", nameof(lines));
            }

            builder.Append(line).Append('\n');
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static bool IsIdentifier(string key)
    {
        if (string.IsNullOrEmpty(key) || !(char.IsAsciiLetter(key[0]) || key[0] == '_'))
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}
