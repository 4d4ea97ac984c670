using Hub.Core.Envelope;
using Hub.Functions.Media;

namespace Hub.Functions.Channels;

/// <summary>
/// Everything shared code needs to know about one channel type, declared once in the channel's folder (courier's
/// <c>RegisterHandler</c> with its <c>RedactValues</c>): the type name, what its options require, which settings are
/// secrets, where its media may come from, its routes, how a chat turn becomes a report and how a spooled request's
/// media policy is rebuilt. Shared code asks the descriptor; it never tests <c>type == "messenger"</c>.
/// </summary>
public abstract class ChannelDescriptor
{
    /// <summary>The <c>{type}</c> of <c>/api/channels/{type}/{instance}</c> and of <c>Hub:Channels:{instance}:Type</c>.</summary>
    public abstract string Type { get; }

    /// <summary>The services this channel type needs beyond the shared ones (stores, HTTP clients, senders).</summary>
    public virtual void AddServices(IServiceCollection services)
    {
    }

    /// <summary>Maps the channel's webhook routes (through <see cref="ChannelEndpoint.MapChannelWebhook"/>).</summary>
    public abstract void Map(IEndpointRouteBuilder app);

    /// <summary>What is wrong with one instance's settings (<paramref name="at"/> is its configuration path); empty when valid.</summary>
    public virtual IEnumerable<string> Validate(ChannelOptions options, string at) => [];

    /// <summary>The instance's secrets: never logged (the redaction tests assert it for every channel).</summary>
    public abstract IEnumerable<string?> Secrets(ChannelOptions options);

    /// <summary>Where this channel's media may be fetched from, when the instance does not configure <see cref="ChannelOptions.MediaHosts"/>.</summary>
    public virtual IReadOnlyList<string> DefaultMediaHosts => [];

    /// <summary>
    /// The media policy for a request of this channel, from today's configuration: a spooled request never carries
    /// credentials, so the relay rebuilds it here. Null when the channel fetches no media at intake.
    /// </summary>
    public virtual MediaPolicy? MediaPolicy(ChannelOptions options) => null;

    /// <summary>For chat channels: how a conversation's turn becomes a report. Null for the others.</summary>
    public virtual ChatProfile? Chat => null;

    /// <summary>Media from the instance's hosts (or this type's defaults), under its size cap, with the given credentials.</summary>
    protected MediaPolicy HostPolicy(ChannelOptions options, System.Net.Http.Headers.AuthenticationHeaderValue? authorization = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.MediaHosts.Count > 0 ? options.MediaHosts : DefaultMediaHosts, options.MaxMediaBytes, authorization, options.AllowPrivateMediaHosts);
    }

    /// <summary>Settings missing among <paramref name="settings"/>, as configuration errors.</summary>
    protected IEnumerable<string> Require(string at, params (string Name, string? Value)[] settings) =>
        settings.Where(s => string.IsNullOrWhiteSpace(s.Value)).Select(s => $"{at}:{s.Name} is required for {Type}.");
}

/// <summary>What a chat channel contributes to the report a conversation becomes.</summary>
/// <param name="ReportChannel">The envelope's <c>channel</c> (<c>messenger</c>, <c>zalo</c>).</param>
/// <param name="Provider">The envelope's <c>source.provider</c>.</param>
/// <param name="SenderKind">What kind of provider user id the reporter's pseudonym was made from.</param>
public sealed record ChatProfile(string ReportChannel, string Provider, string SenderKind);
