using System.Text;
using FaceSwap.Grains.BlobDrop;

namespace FaceSwap.Grains.Tests;

/// <summary>A manifest that does not read says what is wrong where, told from the error's path through the manifest's contract.</summary>
public sealed class DropManifestErrorTests
{
    [Theory]
    [InlineData("""{ "sorce": "a.jpg" }""", "the manifest has an unknown member at 'sorce'")]
    [InlineData("""{ "options": { "turbo": true } }""", "the manifest has an unknown member at 'options.turbo'")]
    [InlineData("""{ "options": { "batchSize": "four" } }""", "the manifest has a value of the wrong type at 'options.batchSize'")]
    [InlineData("""{ "sources": [ 1 ] }""", "the manifest has a value of the wrong type at 'sources[0]'")]
    public void A_manifest_error_names_its_kind_and_place(string json, string expected) =>
        Assert.Equal(expected, Assert.Throws<FormatException>(() => DropManifest.Parse(Encoding.UTF8.GetBytes(json))).Message);
}
