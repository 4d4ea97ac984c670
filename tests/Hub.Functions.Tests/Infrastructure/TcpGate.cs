using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder that owns its listening port for the whole life of a fixture. What the hub under test
/// is given is the gate's port, never the emulator's: the emulator can be killed and started again on whatever
/// ports the kernel gives it next, and the gate is pointed at those. So no test ever hands a port back to the
/// kernel mid-run (where another fixture's emulator could take it, answer for a while, and vanish with it), which
/// is what made "Connection refused" appear on a busy machine. Closed or pointed at nothing, the gate resets
/// every connection, as a dead server would.
/// </summary>
public sealed class TcpGate : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, (Socket Client, Socket Upstream)> _pairs = new();
    private readonly Task _accepting;
    private long _next;
    private volatile int _target;

    public TcpGate(int targetPort)
    {
        _target = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>Forwards new connections to <paramref name="targetPort"/> from now on.</summary>
    public void Open(int targetPort) => _target = targetPort;

    /// <summary>Refuses new connections (reset) and cuts every forwarded one.</summary>
    public void Close()
    {
        _target = 0;
        foreach (var (id, pair) in _pairs)
        {
            Reset(pair.Client);
            Reset(pair.Upstream);
            _pairs.TryRemove(id, out _);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var target = _target;
        if (target == 0)
        {
            Reset(client);
            return;
        }

        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target), _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            upstream.Dispose();
            Reset(client); // the emulator is down: the caller sees what a dead server gives, a reset
            return;
        }

        client.NoDelay = true;
        var id = Interlocked.Increment(ref _next);
        _pairs[id] = (client, upstream);
        try
        {
            await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        }
        finally
        {
            _pairs.TryRemove(id, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send); // half-close, passed on; the other direction finishes on its own
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Reset(to);
            Reset(from);
        }
    }

    private static void Reset(Socket s)
    {
        try
        {
            s.LingerState = new LingerOption(true, 0);
            s.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // already gone
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Close();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
