namespace Hub.Functions.Channels.SmsGateway;

/// <summary>Vietnamese carriers' short-code gateways under the hub's signed JSON contract (docs/sms-gateway.md).</summary>
public sealed class SmsGatewayDescriptor : ChannelDescriptor
{
    public const string TypeName = "sms-gateway";

    public override string Type => TypeName;

    public override void Map(IEndpointRouteBuilder app) => app.MapSmsGateway();

    public override IEnumerable<string> Validate(ChannelOptions options, string at) =>
        Require(at, (nameof(options.Secret), options.Secret));

    public override IEnumerable<string?> Secrets(ChannelOptions options) => [options.Secret, options.SecondarySecret];
}
