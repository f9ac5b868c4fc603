using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>
/// Head pose estimated from the 68 landmarks, in units meant for comparing two faces, not for geometry:
/// <see cref="Yaw"/> as <see cref="FaceGeometry.Yaw"/> (about +-1 at profile), <see cref="Pitch"/> the nose tip's height
/// between the eye line and the mouth line (0 at mid-way, positive looking down), doubled, and <see cref="Roll"/> the
/// eye axis' angle in radians.
/// </summary>
public readonly record struct HeadPose(float Yaw, float Pitch, float Roll)
{
    /// <summary>The pose of a face with 68 landmarks.</summary>
    public static HeadPose Of(Point2f[] p)
    {
        var left = FaceGeometry.LeftEye(p);
        var right = FaceGeometry.RightEye(p);
        var roll = MathF.Atan2(right.Y - left.Y, right.X - left.X);

        // Heights measured across the eye axis, so a tilted head does not read as a nod.
        var (sin, cos) = MathF.SinCos(-roll);
        float Across(Point2f q) => (q.X * sin + q.Y * cos);
        var eyes = (Across(left) + Across(right)) / 2;
        var mouth = (Across(p[48]) + Across(p[54])) / 2;
        var span = mouth - eyes;
        var pitch = MathF.Abs(span) < 1e-3f ? 0 : 2 * ((Across(p[30]) - eyes) / span - 0.5f);
        return new HeadPose(FaceGeometry.Yaw(p), pitch, roll);
    }

    /// <summary>The pose of the mirror image of this face.</summary>
    public HeadPose Mirrored => new(-Yaw, Pitch, -Roll);

    /// <summary>
    /// How far apart two poses are: yaw counts most (it decides which side of the face is visible), pitch half as much,
    /// roll least (the warp onto the target's landmarks undoes an in-plane tilt).
    /// </summary>
    public float DistanceTo(HeadPose other) =>
        MathF.Abs(Yaw - other.Yaw) + 0.5f * MathF.Abs(Pitch - other.Pitch) + 0.25f * MathF.Abs(Roll - other.Roll);

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"yaw {Yaw:+0.00;-0.00}, pitch {Pitch:+0.00;-0.00}, roll {Roll * 180 / MathF.PI:+0;-0} deg");
}
