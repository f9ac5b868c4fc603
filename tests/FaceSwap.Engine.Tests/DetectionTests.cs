using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Pipeline;

namespace FaceSwap.Engine.Tests;

public sealed class DetectionTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 3)]
    [InlineData(4, 4)]
    public void Finds_every_clearly_visible_face_in_the_demo_photos(int sample, int expected)
    {
        using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(sample)));
        var faces = fixture.Engine.FindFaces(image, new StageTimer());
        Assert.Equal(expected, faces.Count);
        Assert.All(faces, f => Assert.True(f.Score > 0.9f, $"score {f.Score}"));
    }

    [Fact]
    public void Boxes_sit_on_the_faces_within_tolerance()
    {
        // Hand-checked positions of the three faces of sample1.jpg (x, y, w, h), left to right.
        int[][] expected = [[416, 358, 183, 235], [831, 430, 202, 219], [1464, 215, 215, 213]];
        using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(1)));
        var boxes = fixture.Engine.FindFaces(image, new StageTimer()).OrderBy(f => f.Box.X).Select(f => f.BoxArray).ToList();
        Assert.Equal(expected.Length, boxes.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            for (var k = 0; k < 4; k++)
            {
                Assert.InRange(boxes[i][k], expected[i][k] - 15, expected[i][k] + 15);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Landmarks_are_anatomically_plausible(int sample)
    {
        using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(sample)));
        foreach (var face in fixture.Engine.FindFaces(image, new StageTimer()))
        {
            var p = face.Landmarks;
            Assert.Equal(68, p.Length);
            var eyes = (FaceGeometry.LeftEye(p).Y + FaceGeometry.RightEye(p).Y) / 2;
            var mouth = (p[48].Y + p[54].Y + p[51].Y + p[57].Y) / 4;
            Assert.True(eyes < p[30].Y && p[30].Y < mouth, $"eyes {eyes}, nose {p[30].Y}, mouth {mouth} in {string.Join(",", face.BoxArray)}");
            Assert.True(FaceGeometry.LeftEye(p).X < FaceGeometry.RightEye(p).X);
            var margin = face.Box.Width * 0.25f;
            Assert.All(p[17..68], q =>
            {
                Assert.InRange(q.X, face.Box.Left - margin, face.Box.Right + margin);
                Assert.InRange(q.Y, face.Box.Top - margin, face.Box.Bottom + margin);
            });
        }
    }
}
