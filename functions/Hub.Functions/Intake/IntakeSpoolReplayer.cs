using System.Text.Json;
using Hub.Functions.Channels;
using Hub.Functions.Spool;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Intake;

/// <summary>Delivers a spooled intake submission (SMS, gateway) with the report id, time and reference code it was acknowledged with.</summary>
public sealed class IntakeSpoolReplayer(IntakeService intake, ChannelTypes types, IOptions<ChannelsOptions> channels) : ISpoolReplayer
{
    public string Kind => IntakeService.SpoolKind;

    public async Task ReplayAsync(byte[] payload, CancellationToken ct)
    {
        var s = JsonSerializer.Deserialize(payload, SpoolPayloadJsonContext.Default.IntakeSubmission) ?? throw new InvalidDataException("empty intake spool record");
        // The media policy (with the provider's credentials) was never spooled: the channel rebuilds it from today's configuration.
        if (s.Media.Count > 0 && channels.Value.Instances.TryGetValue(s.ChannelInstance, out var options) && types.Find(options.Type)?.MediaPolicy(options) is { } policy)
        {
            s = s with { MediaPolicy = policy };
        }

        await intake.AcceptAsync(s, ct);
    }
}
