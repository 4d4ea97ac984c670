using System.Text;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// A storage pipeline policy that fails chosen queue sends as an overloaded account does (503 ServerBusy) before they
/// reach Azurite: a message whose text contains an armed marker is refused, every other request goes through. It lets a
/// test make storage fail part-way through one request (some messages of a batch sent, one refused) against real storage.
/// </summary>
public sealed class QueueSendFaults(string queueName) : HttpPipelinePolicy
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _markers = new(StringComparer.Ordinal);

    /// <summary>Sends to the queue whose message contains this text fail from now on.</summary>
    public void Arm(string marker) => _markers[marker] = 0;

    public void Disarm(string marker) => _markers.TryRemove(marker, out _);

    /// <summary>How many sends this policy refused.</summary>
    public int Refused => _refused;

    private int _refused;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Refuse(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Refuse(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Refuse(HttpMessage message)
    {
        var request = message.Request;
        if (_markers.IsEmpty || request.Method != RequestMethod.Post || request.Content is null
            || !request.Uri.Path.EndsWith($"/{queueName}/messages", StringComparison.Ordinal))
        {
            return;
        }

        using var buffer = new MemoryStream();
        request.Content.WriteTo(buffer, CancellationToken.None);
        buffer.Position = 0; // XDocument.Load, not Parse: the SDK writes a byte-order mark
        var base64 = XDocument.Load(buffer).Root?.Element("MessageText")?.Value ?? string.Empty;
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        if (_markers.Keys.Any(m => text.Contains(m, StringComparison.Ordinal)))
        {
            Interlocked.Increment(ref _refused);
            throw new RequestFailedException(503, "injected: the queue refused this message", "ServerBusy", null);
        }
    }
}
