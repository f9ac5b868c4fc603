using System.Net;
using System.Net.Sockets;

namespace FaceSwap.Testing;

/// <summary>Free TCP ports on the loopback interface, for emulators and silos started by tests.</summary>
public static class FreePorts
{
    /// <summary>
    /// Returns <paramref name="count"/> distinct ports that were free a moment ago (all held open together while chosen).
    /// Another process may still take one before it is used: callers that bind should retry with fresh ports.
    /// </summary>
    public static int[] Get(int count)
    {
        var listeners = new TcpListener[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener?.Stop();
            }
        }
    }
}
