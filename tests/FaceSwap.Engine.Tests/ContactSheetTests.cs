using FaceSwap.Engine.Imaging;
using OpenCvSharp;
using SkiaSharp;

namespace FaceSwap.Engine.Tests;

/// <summary>The preview's contact sheet as drawn (issue 25 item 5): its size, crops that line up and are never stretched, text in its tones.</summary>
public sealed class ContactSheetTests
{
    private static readonly IReadOnlyList<IReadOnlyList<ContactSheetSpan>> Header = [[new("source face.jpg")], [new("2 faces", ContactSheetTone.Good)]];

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(3, true)]
    public void Its_size_follows_from_the_rows_alone(int rows, bool footer)
    {
        using var sheet = new ContactSheet("Preview", Header, rows, footer ? "1 more face is not shown" : null);
        using var face = Disc(ContactSheet.Crop, ContactSheet.Crop);
        for (var i = 0; i < rows; i++)
        {
            sheet.AddRow(face, face, [[new($"face {i + 1}")]]);
        }

        using var png = SKBitmap.Decode(sheet.ToPng());
        Assert.Equal(ContactSheet.Width, png.Width);
        Assert.Equal(ContactSheet.HeightFor(rows, footer), png.Height);
        Assert.Equal(ContactSheet.HeaderHeight + rows * ContactSheet.RowHeight + (footer ? ContactSheet.FooterHeight : 0) + ContactSheet.Margin, png.Height);
        Assert.Throws<InvalidOperationException>(() => sheet.AddRow(face, face, []));
    }

    [Fact]
    public void The_same_box_on_a_before_and_an_after_image_gives_crops_that_line_up_and_grey_where_the_image_ends()
    {
        using var before = Disc(400, 300);
        using var after = before.Clone();
        Cv2.Circle(after, new Point(200, 150), 10, new Scalar(0, 0, 255), -1);

        // A box at the image's corner: the square around it reaches outside the image.
        using var corner = ContactSheet.CropAround(before, new Rect(0, 0, 60, 60));
        Assert.Equal(new Size(ContactSheet.Crop, ContactSheet.Crop), corner.Size());
        Assert.Equal(new Vec3b(128, 128, 128), corner.At<Vec3b>(2, 2));

        using var a = ContactSheet.CropAround(before, new Rect(150, 100, 100, 100));
        using var b = ContactSheet.CropAround(after, new Rect(150, 100, 100, 100));
        using var difference = new Mat();
        Cv2.Absdiff(a, b, difference);
        using var grey = difference.CvtColor(ColorConversionCodes.BGR2GRAY);
        var changed = Cv2.BoundingRect(grey.Threshold(30, 255, ThresholdTypes.Binary));

        // Only the red dot differs, in the middle of both crops: the crops are of the same region.
        var centre = ContactSheet.Crop / 2.0;
        Assert.InRange(changed.X + changed.Width / 2.0, centre - 3, centre + 3);
        Assert.InRange(changed.Y + changed.Height / 2.0, centre - 3, centre + 3);
    }

    [Fact]
    public void A_face_box_that_is_not_square_gives_a_square_crop_and_a_wide_picture_is_letterboxed_not_stretched()
    {
        // A circle inside a tall box stays a circle: the crop is a square region, scaled the same both ways.
        using var image = new Mat(400, 400, MatType.CV_8UC3, Scalar.White);
        Cv2.Circle(image, new Point(200, 200), 40, Scalar.Black, -1);
        using var crop = ContactSheet.CropAround(image, new Rect(160, 130, 80, 140));
        using var dark = crop.CvtColor(ColorConversionCodes.BGR2GRAY).Threshold(100, 255, ThresholdTypes.BinaryInv);
        var disc = Cv2.BoundingRect(dark);
        Assert.InRange(disc.Width - disc.Height, -2, 2);

        // A 2:1 picture in a row keeps its aspect: the paper shows above and below it.
        using var wide = new Mat(80, 160, MatType.CV_8UC3, new Scalar(0, 0, 0));
        using var sheet = new ContactSheet("Preview", Header, 1, null);
        sheet.AddRow(wide, wide, [[new("wide")]]);
        using var png = SKBitmap.Decode(sheet.ToPng());
        var top = ContactSheet.HeaderHeight + (ContactSheet.RowHeight - ContactSheet.Crop) / 2;
        var x = ContactSheet.Margin + ContactSheet.Crop / 2;
        Assert.Equal(SKColors.White, png.GetPixel(x, top + 10));
        Assert.Equal(SKColors.Black, png.GetPixel(x, top + ContactSheet.Crop / 2));
        Assert.Equal(SKColors.White, png.GetPixel(x, top + ContactSheet.Crop - 10));
    }

    [Fact]
    public void Text_is_drawn_in_its_tone_and_cut_with_an_ellipsis_where_it_would_run_off()
    {
        using var face = Disc(ContactSheet.Crop, ContactSheet.Crop);
        using var sheet = new ContactSheet("Preview", Header, 2, null);
        sheet.AddRow(face, face, [[new("within the thresholds", ContactSheetTone.Good)]]);
        sheet.AddRow(face, face, [[new("needs review: tint, shade " + new string('x', 200), ContactSheetTone.Bad)]]);
        using var png = SKBitmap.Decode(sheet.ToPng());

        int Count(int row, Func<SKColor, bool> tone)
        {
            var n = 0;
            var top = ContactSheet.HeaderHeight + row * ContactSheet.RowHeight;
            for (var y = top; y < top + ContactSheet.RowHeight; y++)
            {
                for (var x = 2 * ContactSheet.Crop + 40; x < ContactSheet.Width; x++)
                {
                    n += tone(png.GetPixel(x, y)) ? 1 : 0;
                }
            }

            return n;
        }

        static bool Red(SKColor c) => c.Red > 150 && c.Green < 90 && c.Blue < 90;
        static bool Green(SKColor c) => c.Green > 90 && c.Red < 80 && c.Blue < 90;
        Assert.True(Count(0, Green) > 100, "no green text on the first row");
        Assert.Equal(0, Count(0, Red));
        Assert.True(Count(1, Red) > 100, "no red text on the second row");

        // The long line stops before the sheet's margin.
        for (var y = ContactSheet.HeaderHeight + ContactSheet.RowHeight; y < ContactSheet.HeaderHeight + 2 * ContactSheet.RowHeight; y++)
        {
            for (var x = ContactSheet.Width - ContactSheet.Margin; x < ContactSheet.Width; x++)
            {
                Assert.False(Red(png.GetPixel(x, y)), $"text in the margin at {x},{y}");
            }
        }
    }

    /// <summary>A grey-blue picture with a light disc in its middle.</summary>
    private static Mat Disc(int width, int height)
    {
        var image = new Mat(height, width, MatType.CV_8UC3, new Scalar(120, 90, 60));
        Cv2.Circle(image, new Point(width / 2, height / 2), Math.Min(width, height) / 3, new Scalar(200, 210, 230), -1);
        return image;
    }
}
