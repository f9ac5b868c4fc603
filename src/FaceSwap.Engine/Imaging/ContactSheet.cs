using OpenCvSharp;
using SkiaSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>How a piece of a contact sheet's text is drawn.</summary>
public enum ContactSheetTone
{
    /// <summary>Body text.</summary>
    Normal,
    /// <summary>Bold: a row's title.</summary>
    Strong,
    /// <summary>Grey: labels and notes.</summary>
    Muted,
    /// <summary>Green: within the thresholds.</summary>
    Good,
    /// <summary>Red: a figure outside its threshold, a face to review.</summary>
    Bad,
}

/// <summary>A piece of a line of text, in one tone.</summary>
/// <param name="Text">The text.</param>
/// <param name="Tone">How it is drawn.</param>
public sealed record ContactSheetSpan(string Text, ContactSheetTone Tone = ContactSheetTone.Normal);

/// <summary>
/// A contact sheet (PNG) drawn with SkiaSharp: a header, then one row per face with two square crops (before and after,
/// the same region of each image, so they line up) and lines of text beside them. The size follows from the row count
/// alone (<see cref="HeightFor"/>), so the canvas is made once and rows are drawn as their images are decoded.
/// </summary>
public sealed class ContactSheet : IDisposable
{
    /// <summary>The side of each square crop, in pixels.</summary>
    public const int Crop = 160;

    /// <summary>The outer margin.</summary>
    public const int Margin = 16;

    /// <summary>The height of one face's row.</summary>
    public const int RowHeight = Crop + 12;

    /// <summary>The height of the header: title, up to four lines, the column heads.</summary>
    public const int HeaderHeight = 146;

    /// <summary>The height of the footer line, when there is one.</summary>
    public const int FooterHeight = 32;

    /// <summary>The width of every sheet.</summary>
    public const int Width = Margin + Crop + Gap + Crop + TextGap + TextWidth + Margin;

    private const int Gap = 8;
    private const int TextGap = 20;
    private const int TextWidth = 420;
    private const int TextX = Margin + 2 * Crop + Gap + TextGap;

    private static readonly SKColor Paper = new(0xff, 0xff, 0xff);
    private static readonly SKColor Stripe = new(0xf3, 0xf4, 0xf7);
    private static readonly SKColor Frame = new(0xc9, 0xcc, 0xd3);
    private static readonly SKColor Outside = new(0x80, 0x80, 0x80);

    private static readonly Lazy<SKTypeface> Regular = new(() => Typeface(SKFontStyle.Normal));
    private static readonly Lazy<SKTypeface> Bold = new(() => Typeface(SKFontStyle.Bold));

    private readonly SKBitmap bitmap;
    private readonly SKCanvas canvas;
    private readonly int rows;
    private int drawn;

    /// <summary>A blank sheet for <paramref name="rows"/> rows, its header drawn; <paramref name="footer"/> (if any) along its foot.</summary>
    /// <param name="title">The first line, bold.</param>
    /// <param name="header">Up to four lines under the title.</param>
    /// <param name="rows">How many rows <see cref="AddRow"/> will draw.</param>
    /// <param name="footer">A last line (e.g. how many faces are not shown), or null.</param>
    /// <param name="beforeLabel">The head of the first crop column.</param>
    /// <param name="afterLabel">The head of the second crop column.</param>
    public ContactSheet(string title, IReadOnlyList<IReadOnlyList<ContactSheetSpan>> header, int rows, string? footer,
        string beforeLabel = "input", string afterLabel = "output")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        this.rows = rows;
        bitmap = new SKBitmap(new SKImageInfo(Width, HeightFor(rows, footer is not null), SKColorType.Rgba8888, SKAlphaType.Opaque));
        canvas = new SKCanvas(bitmap);
        canvas.Clear(Paper);

        DrawLine([new ContactSheetSpan(title, ContactSheetTone.Strong)], Margin, Margin + 20, Width - 2 * Margin, 20);
        for (var i = 0; i < Math.Min(4, header.Count); i++)
        {
            DrawLine(header[i], Margin, Margin + 46 + i * 19, Width - 2 * Margin, 14);
        }

        if (rows > 0)
        {
            var heads = HeaderHeight - 8;
            DrawCentred(beforeLabel, Margin + Crop / 2f, heads);
            DrawCentred(afterLabel, Margin + Crop + Gap + Crop / 2f, heads);
        }

        using var rule = new SKPaint { Color = Frame, StrokeWidth = 1 };
        canvas.DrawLine(Margin, HeaderHeight - 1, Width - Margin, HeaderHeight - 1, rule);

        if (footer is not null)
        {
            DrawLine([new ContactSheetSpan(footer, ContactSheetTone.Muted)], Margin, HeaderHeight + rows * RowHeight + 22, Width - 2 * Margin, 14);
        }
    }

    /// <summary>The height of a sheet of <paramref name="rows"/> rows.</summary>
    public static int HeightFor(int rows, bool footer) => HeaderHeight + rows * RowHeight + (footer ? FooterHeight : 0) + Margin;

    /// <summary>
    /// Draws the next row: <paramref name="before"/> and <paramref name="after"/> (BGR, e.g. from <see cref="CropAround"/>)
    /// scaled into squares of <see cref="Crop"/> pixels keeping their aspect, and up to five lines of text.
    /// </summary>
    public void AddRow(Mat before, Mat after, IReadOnlyList<IReadOnlyList<ContactSheetSpan>> lines)
    {
        if (drawn >= rows)
        {
            throw new InvalidOperationException($"the sheet was made for {rows} rows");
        }

        var top = HeaderHeight + drawn * RowHeight;
        if (drawn % 2 == 1)
        {
            using var stripe = new SKPaint { Color = Stripe };
            canvas.DrawRect(0, top, Width, RowHeight, stripe);
        }

        var y = top + (RowHeight - Crop) / 2;
        DrawImage(before, Margin, y);
        DrawImage(after, Margin + Crop + Gap, y);
        for (var i = 0; i < Math.Min(5, lines.Count); i++)
        {
            DrawLine(lines[i], TextX, y + 22 + i * 24, TextWidth, i == 0 ? 15 : 14);
        }

        drawn++;
    }

    /// <summary>The sheet as PNG; rows not drawn stay blank.</summary>
    public byte[] ToPng()
    {
        canvas.Flush();
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// A square region of <paramref name="image"/> centred on <paramref name="box"/>, <paramref name="context"/> times
    /// its longer side, scaled to <paramref name="size"/> pixels; what lies outside the image is grey. The same box on
    /// a before and an after image of the same size gives crops that line up pixel for pixel.
    /// </summary>
    public static Mat CropAround(Mat image, Rect box, double context = 1.6, int size = Crop)
    {
        var side = Math.Max(1, (int)Math.Round(Math.Max(box.Width, box.Height) * context));
        var x = (int)Math.Round(box.X + box.Width / 2.0 - side / 2.0);
        var y = (int)Math.Round(box.Y + box.Height / 2.0 - side / 2.0);
        using var square = new Mat(side, side, image.Type(), new Scalar(Outside.Blue, Outside.Green, Outside.Red));
        var inside = new Rect(x, y, side, side).Intersect(new Rect(0, 0, image.Width, image.Height));
        if (inside.Width > 0 && inside.Height > 0)
        {
            using var from = new Mat(image, inside);
            using var to = new Mat(square, new Rect(inside.X - x, inside.Y - y, inside.Width, inside.Height));
            from.CopyTo(to);
        }

        var result = new Mat();
        Cv2.Resize(square, result, new Size(size, size), interpolation: side > size ? InterpolationFlags.Area : InterpolationFlags.Cubic);
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        canvas.Dispose();
        bitmap.Dispose();
    }

    private void DrawImage(Mat bgr, int x, int y)
    {
        using var bgra = new Mat();
        Cv2.CvtColor(bgr, bgra, ColorConversionCodes.BGR2BGRA);

        var info = new SKImageInfo(bgra.Width, bgra.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        using var pixmap = new SKPixmap(info, bgra.Data, (int)bgra.Step());
        using var image = SKImage.FromPixels(pixmap);

        // Aspect kept: a crop that is not square is letterboxed inside its square, never stretched.
        var scale = Math.Min(Crop / (float)bgra.Width, Crop / (float)bgra.Height);
        var w = bgra.Width * scale;
        var h = bgra.Height * scale;
        var target = SKRect.Create(x + (Crop - w) / 2, y + (Crop - h) / 2, w, h);
        using var paint = new SKPaint();
        canvas.DrawImage(image, target, new SKSamplingOptions(SKCubicResampler.Mitchell), paint);
        using var frame = new SKPaint { Color = Frame, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawRect(SKRect.Create(x - 0.5f, y - 0.5f, Crop + 1, Crop + 1), frame);
    }

    private void DrawCentred(string text, float x, float baseline)
    {
        using var font = Font(ContactSheetTone.Muted, 13);
        using var paint = Paint(ContactSheetTone.Muted);
        canvas.DrawText(text, x, baseline, SKTextAlign.Center, font, paint);
    }

    /// <summary>Draws spans left to right from <paramref name="x"/>; the text that would pass <paramref name="width"/> is cut with an ellipsis.</summary>
    private void DrawLine(IReadOnlyList<ContactSheetSpan> spans, float x, float baseline, float width, float size)
    {
        var end = x + width;
        foreach (var span in spans)
        {
            using var font = Font(span.Tone, size);
            using var paint = Paint(span.Tone);
            var text = Fit(span.Text, font, end - x);
            if (text.Length == 0)
            {
                return;
            }

            canvas.DrawText(text, x, baseline, SKTextAlign.Left, font, paint);
            x += font.MeasureText(text);
            if (text.Length < span.Text.Length)
            {
                return;
            }
        }
    }

    /// <summary>The text, or as much of its start as fits in <paramref name="room"/> with an ellipsis.</summary>
    private static string Fit(string text, SKFont font, float room)
    {
        if (font.MeasureText(text) <= room)
        {
            return text;
        }

        for (var length = text.Length - 1; length > 0; length--)
        {
            var cut = text[..length].TrimEnd() + "…";
            if (font.MeasureText(cut) <= room)
            {
                return cut;
            }
        }

        return "";
    }

    private static SKFont Font(ContactSheetTone tone, float size) =>
        new(tone == ContactSheetTone.Strong ? Bold.Value : Regular.Value, size) { Edging = SKFontEdging.Antialias, Subpixel = true };

    private static SKPaint Paint(ContactSheetTone tone) => new()
    {
        IsAntialias = true,
        Color = tone switch
        {
            ContactSheetTone.Muted => new SKColor(0x5f, 0x63, 0x6e),
            ContactSheetTone.Good => new SKColor(0x1b, 0x7a, 0x35),
            ContactSheetTone.Bad => new SKColor(0xc0, 0x1f, 0x1f),
            _ => new SKColor(0x1d, 0x1f, 0x24),
        },
    };

    /// <summary>A sans-serif face from the system's fonts (DejaVu Sans where fontconfig has it), else Skia's default.</summary>
    private static SKTypeface Typeface(SKFontStyle style)
    {
        foreach (var family in new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "sans-serif" })
        {
            if (SKFontManager.Default.MatchFamily(family, style) is { } found)
            {
                return found;
            }
        }

        return SKTypeface.Default;
    }
}
