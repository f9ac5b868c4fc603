using FaceSwap.Engine.Onnx.Proto;
using Google.Protobuf;

namespace FaceSwap.Engine.Onnx;

/// <summary>
/// Reads one initializer of an ONNX file by walking the protobuf wire format on the file itself: every other field
/// (nodes, the raw_data of the other tensors) is skipped by seeking past it, so reading inswapper_128's 1 MB emap out
/// of its 554 MB file costs about 1 MB of memory instead of the whole parsed graph (about 1.7 GB).
/// </summary>
public static class OnnxInitializerReader
{
    private const int ModelGraph = 7;
    private const int GraphInitializer = 5;

    /// <summary>
    /// The graph's last initializer (FaceFusion's <c>graph.initializer[-1]</c>), or null when it has none. A file that is
    /// not a well-formed protobuf gives <see cref="FaceSwapErrorKind.ModelCorrupt"/>.
    /// </summary>
    public static TensorProto? ReadLast(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024);
        var wire = new WireReader(stream, path);
        (long Offset, long Length)? last = null;

        // A parser merges repeated occurrences of the graph field, so the last initializer is the last one seen in any.
        while (stream.Position < stream.Length)
        {
            var (field, type) = wire.Tag();
            if (field != ModelGraph || type != WireFormat.WireType.LengthDelimited)
            {
                wire.Skip(type);
                continue;
            }

            var end = wire.LengthEnd();
            while (stream.Position < end)
            {
                var (inner, innerType) = wire.Tag();
                if (inner == GraphInitializer && innerType == WireFormat.WireType.LengthDelimited)
                {
                    var tensorEnd = wire.LengthEnd();
                    last = (stream.Position, tensorEnd - stream.Position);
                    stream.Position = tensorEnd;
                }
                else
                {
                    wire.Skip(innerType);
                }
            }

            if (stream.Position != end)
            {
                throw wire.Corrupt("a field runs past the end of the graph");
            }
        }

        if (last is not { } tensor)
        {
            return null;
        }

        stream.Position = tensor.Offset;
        var bytes = new byte[tensor.Length];
        stream.ReadExactly(bytes);
        try
        {
            return TensorProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelCorrupt, $"not an ONNX model ({Path.GetFileName(path)}): {e.Message}", e);
        }
    }

    /// <summary>Tags, varints and skips of the protobuf wire format on a seekable stream.</summary>
    private sealed class WireReader(Stream stream, string path)
    {
        public (int Field, WireFormat.WireType Type) Tag()
        {
            var tag = Varint();
            var field = (int)(tag >> 3);
            if (field == 0)
            {
                throw Corrupt("field number 0");
            }

            return (field, (WireFormat.WireType)(tag & 7));
        }

        /// <summary>Reads a length prefix; returns the position where that field ends.</summary>
        public long LengthEnd()
        {
            var length = Varint();
            if (length > (ulong)(stream.Length - stream.Position))
            {
                throw Corrupt("a field is longer than the file");
            }

            return stream.Position + (long)length;
        }

        public void Skip(WireFormat.WireType type)
        {
            switch (type)
            {
                case WireFormat.WireType.Varint:
                    Varint();
                    break;
                case WireFormat.WireType.Fixed64:
                    Advance(8);
                    break;
                case WireFormat.WireType.Fixed32:
                    Advance(4);
                    break;
                case WireFormat.WireType.LengthDelimited:
                    stream.Position = LengthEnd();
                    break;
                default:
                    throw Corrupt($"wire type {(int)type} is not used by ONNX");
            }
        }

        public FaceSwapException Corrupt(string why) =>
            new(FaceSwapErrorKind.ModelCorrupt, $"not an ONNX model ({Path.GetFileName(path)}): {why}");

        private void Advance(int bytes)
        {
            if (stream.Length - stream.Position < bytes)
            {
                throw Corrupt("the file ends inside a field");
            }

            stream.Position += bytes;
        }

        private ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = stream.ReadByte();
                if (b < 0)
                {
                    throw Corrupt("the file ends inside a field");
                }

                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }

            throw Corrupt("a varint longer than 10 bytes");
        }
    }
}
