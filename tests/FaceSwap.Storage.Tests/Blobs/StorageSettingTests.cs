namespace FaceSwap.Storage.Tests.Blobs;

public sealed class StorageSettingTests
{
    [Theory]
    [InlineData("local", StorageKind.Local, "/", false)]
    [InlineData(" LOCAL:/srv/faceswap ", StorageKind.Local, "/srv/faceswap", true)]
    [InlineData("UseDevelopmentStorage=true", StorageKind.ConnectionString, null, false)]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net", StorageKind.ConnectionString, null, false)]
    [InlineData("https://acct.blob.core.windows.net", StorageKind.ServiceUri, null, false)]
    public void Each_accepted_form_is_recognised_once(string value, StorageKind kind, string? root, bool namesFolder)
    {
        var setting = StorageSetting.Parse(value);

        Assert.Equal(kind, setting.Kind);
        Assert.Equal(root, setting.LocalRoot);
        Assert.Equal(namesFolder, setting.NamesFolder);
        Assert.Equal(kind == StorageKind.Local, setting.IsLocal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("local:")]
    [InlineData("http://acct.blob.core.windows.net")]
    [InlineData("ftp://somewhere")]
    [InlineData("/just/a/folder")]
    public void Anything_else_is_not_understood_and_says_which_forms_are(string value)
    {
        Assert.False(StorageSetting.TryParse(value, out _, out var problem));
        Assert.Contains("Accepted forms", problem, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => StorageSetting.Parse(value));
    }

    [Fact]
    public void A_connection_string_never_shows_its_key()
    {
        var setting = StorageSetting.Parse("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net");
        Assert.DoesNotContain("c2VjcmV0", setting.ToString(), StringComparison.Ordinal);

        Assert.False(StorageSetting.TryParse("AccountKey=c2VjcmV0c2VjcmV0", out _, out var problem));
        Assert.DoesNotContain("c2VjcmV0c2VjcmV0", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_service_uri_names_its_queue_and_table_endpoints()
    {
        var setting = StorageSetting.Parse("https://acct.blob.core.windows.net");

        Assert.Equal(new Uri("https://acct.queue.core.windows.net"), setting.SiblingEndpoint("queue"));
        Assert.Equal(new Uri("https://acct.table.core.windows.net"), setting.SiblingEndpoint("table"));
    }
}
