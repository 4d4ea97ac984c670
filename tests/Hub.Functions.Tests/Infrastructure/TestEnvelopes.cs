using Hub.Core.Envelope;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>A minimal valid envelope for tests that feed the queue or the payload-mode trigger directly.</summary>
public static class TestEnvelopes
{
    public static ReportEnvelope For(string providerMessageId, string? id = null) => new()
    {
        Id = id ?? ReportId.New(TimeProvider.System),
        ReceivedAt = TimeProvider.System.GetUtcNow(),
        Channel = ReportChannels.Sms,
        ChannelInstance = "hn-sms",
        ReferenceCode = "ABCD-EFGH",
        Source = new ReportSource { Provider = "test", ProviderMessageId = providerMessageId },
        Reporter = new Reporter(),
        Incident = new Incident { Description = "test envelope" },
        Signals = new Signals(),
    };
}
