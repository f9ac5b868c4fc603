using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;

namespace FaceSwap.Grains.Diagnostics;

/// <summary>
/// GPU utilisation and memory from NVML (the driver's libnvidia-ml.so.1), as observable gauges on the FaceSwap meter.
/// Where the library or a GPU is missing the instruments are never created, so the metrics are absent, not zero.
/// </summary>
public static class GpuMetrics
{
    private static readonly Lock Gate = new();
    private static bool started;

    private delegate int NvmlInit();
    private delegate int NvmlDeviceGetCount(out uint count);
    private delegate int NvmlDeviceGetHandleByIndex(uint index, out IntPtr device);
    private delegate int NvmlDeviceGetUtilizationRates(IntPtr device, out Utilization utilization);
    private delegate int NvmlDeviceGetMemoryInfo(IntPtr device, out Memory memory);

    /// <summary>Whether GPU metrics are being published (NVML loaded and at least one GPU found).</summary>
    public static bool Available { get; private set; }

    /// <summary>Number of GPUs NVML reported.</summary>
    public static int DeviceCount { get; private set; }

    /// <summary>Loads NVML and creates the gauges once per process; false (and nothing created) where NVML or a GPU is missing.</summary>
    public static bool TryStart()
    {
        lock (Gate)
        {
            if (started)
            {
                return Available;
            }

            started = true;
            if (!NativeLibrary.TryLoad("libnvidia-ml.so.1", out var library)
                || !TryGet<NvmlInit>(library, "nvmlInit_v2", out var init)
                || !TryGet<NvmlDeviceGetCount>(library, "nvmlDeviceGetCount_v2", out var getCount)
                || !TryGet<NvmlDeviceGetHandleByIndex>(library, "nvmlDeviceGetHandleByIndex_v2", out var getHandle)
                || !TryGet<NvmlDeviceGetUtilizationRates>(library, "nvmlDeviceGetUtilizationRates", out var getUtilization)
                || !TryGet<NvmlDeviceGetMemoryInfo>(library, "nvmlDeviceGetMemoryInfo", out var getMemory)
                || init() != 0
                || getCount(out var count) != 0
                || count == 0)
            {
                return false;
            }

            var devices = new List<IntPtr>();
            for (uint i = 0; i < count; i++)
            {
                if (getHandle(i, out var device) == 0)
                {
                    devices.Add(device);
                }
            }

            DeviceCount = devices.Count;
            var meter = FaceSwapTelemetry.Meter;
            meter.CreateObservableGauge("faceswap.gpu.utilization", () => Observe(devices, d => getUtilization(d, out var u) == 0 ? u.Gpu : null), "%", "GPU utilisation over the driver's last sample period");
            meter.CreateObservableGauge("faceswap.gpu.memory.used", () => Observe(devices, d => getMemory(d, out var m) == 0 ? (long)m.Used : null), "By", "GPU memory in use");
            meter.CreateObservableGauge("faceswap.gpu.memory.total", () => Observe(devices, d => getMemory(d, out var m) == 0 ? (long)m.Total : null), "By", "GPU memory in total");
            Available = devices.Count > 0;
            return Available;
        }
    }

    private static List<Measurement<long>> Observe(List<IntPtr> devices, Func<IntPtr, long?> read)
    {
        var measurements = new List<Measurement<long>>();
        for (var i = 0; i < devices.Count; i++)
        {
            if (read(devices[i]) is { } value)
            {
                measurements.Add(new Measurement<long>(value, new KeyValuePair<string, object?>("gpu", i)));
            }
        }

        return measurements;
    }

    private static bool TryGet<T>(IntPtr library, string name, out T function)
        where T : Delegate
    {
        if (NativeLibrary.TryGetExport(library, name, out var address))
        {
            function = Marshal.GetDelegateForFunctionPointer<T>(address);
            return true;
        }

        function = null!;
        return false;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Utilization
    {
        public uint Gpu;
        public uint MemoryBandwidth;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Memory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }
}
