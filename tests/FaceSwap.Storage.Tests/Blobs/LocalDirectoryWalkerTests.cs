namespace FaceSwap.Storage.Tests.Blobs;

public sealed class LocalDirectoryWalkerTests
{
    [Fact]
    public void Comparing_a_key_in_parts_agrees_with_comparing_the_built_key()
    {
        var random = new Random(1234);
        string[] alphabet = ["a", "b", "/", ".", "-", "A", "0", "é"];
        string Word(int max) => string.Concat(Enumerable.Range(0, random.Next(0, max)).Select(_ => alphabet[random.Next(alphabet.Length)]));

        for (var i = 0; i < 20_000; i++)
        {
            var directoryKey = random.Next(3) == 0 ? string.Empty : Word(4).Replace("/", "x", StringComparison.Ordinal) + "/";
            var name = "n" + Word(4).Replace("/", "x", StringComparison.Ordinal);
            var isDirectory = random.Next(2) == 0;
            var key = directoryKey + name + (isDirectory ? "/" : string.Empty);
            var other = random.Next(4) == 0 ? key : random.Next(2) == 0 ? key[..random.Next(key.Length + 1)] + Word(4) : Word(10);

            var expected = Math.Sign(string.CompareOrdinal(key, other));
            var actual = Math.Sign(LocalDirectoryWalker.CompareKey(directoryKey, name, isDirectory, other));

            Assert.True(expected == actual, $"'{key}' vs '{other}': expected {expected}, got {actual}");
        }
    }
}
