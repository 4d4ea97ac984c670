using System.Text.Json;
using Hub.Core.Envelope;

namespace Hub.Core.Tests.Envelope;

public sealed class EnvelopeReadTests
{
    private const string Minimal = """{"schema":"hub.report/v1","id":"X","receivedAt":"2026-01-01T00:00:00Z","channel":"sms","channelInstance":"s","referenceCode":"ABCD-EFGH","source":{"provider":"p","providerMessageId":"m"},"reporter":{},"incident":{},"signals":{}}""";

    [Fact]
    public void Deserialize_EnvelopeWithoutOptionalParts_GetsTheDocumentedDefaults_NotNulls()
    {
        // The source generator sets init-only properties missing from the JSON to null; the getters restore the defaults.
        var e = JsonSerializer.Deserialize(Minimal, HubJsonContext.Default.ReportEnvelope)!;
        e.Evidence.ShouldBeEmpty();
        e.Incident.Categories.ShouldBeEmpty();
        e.Incident.Urls.ShouldBeEmpty();
        e.Incident.ReportedAccounts.ShouldBeEmpty();
        e.Signals.Reasons.ShouldBeEmpty();
        e.Signals.Urgency.ShouldBe(Urgencies.Normal);
        e.Reporter.Role.ShouldBe(ReporterRoles.Unknown);
        e.Reporter.AgeBand.ShouldBe("unknown");
    }

    [Fact]
    public void Deserialize_EnvelopeWithoutSchema_KeepsItMissing_SoItIsRefused()
    {
        var e = JsonSerializer.Deserialize(Minimal.Replace("\"schema\":\"hub.report/v1\",", string.Empty, StringComparison.Ordinal), HubJsonContext.Default.ReportEnvelope)!;
        e.Schema.ShouldBeNull();
    }
}
