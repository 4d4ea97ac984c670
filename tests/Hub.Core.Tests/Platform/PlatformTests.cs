using System.Security.Cryptography;
using System.Text;
using Hub.Core.Envelope;
using Hub.Core.Platform;
using Hub.Core.Signatures;

namespace Hub.Core.Tests.Platform;

public class PlatformSigningTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_795_000_000);

    // An OpenSSL-made P-256 key and signature (openssl dgst -sha256 -sign, DER converted to r‖s): proves the
    // hub verifies what another implementation signs, i.e. that platforms using any ES256 library interoperate.
    private const string OpenSslKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9myA8jhX1p4EpRva
        a3zU6M/YqLxr5xXahpRDPql0Q16hRANCAAQJu/t5Wuc2UvSjn0PFbgFICG4H2cnB
        rrpfrtjBFsPXv2OF/Jn+2MstiY1T1qy5aVdWkOjeCkD0X0ELA3FKz+WY
        -----END PRIVATE KEY-----
        """;

    private const string OpenSslSignature = "es256=xWsM2NggUbJbCsNedzY9kzbTvXcT5mIjPtmQiDT1sgKnGBFyuXrpV7ridoMSgqTryY3DTGvuQGbE6rDzzzf9-Q";
    private static readonly byte[] VectorBody = Encoding.UTF8.GetBytes("{\"type\":\"takedown.requested\",\"takedownId\":\"T1\"}");

    [Fact]
    public void HmacCompute_PlatformWorkedExample_MatchesDocs() =>
        // docs/platform-api.md's worked example, computed independently with Python's hmac module.
        HubSignature.Compute("example-platform-secret-for-docs-only-0123", "1795000000", Encoding.UTF8.GetBytes("{\"platformReportId\":\"ex-1\",\"incident\":{\"type\":\"cyberbullying\"}}"))
            .ShouldBe("v1=614cdca78ec8ae6ea7a68b378ba5ca901d362bee5e139885b5b16d44bf29851b");

    [Fact]
    public void CallbackVerify_OpenSslVector_Valid()
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(OpenSslKey);
        HubCallbackSignature.Verify(key, "1795000000", OpenSslSignature, VectorBody, Now, HubSignature.DefaultWindow).ShouldBe(HubSignatureResult.Valid);
    }

    [Fact]
    public void CallbackVerify_OpenSslVectorThroughJwk_Valid()
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(OpenSslKey);
        var jwk = HubCallbackSignature.ToJwk(key, "k1");
        jwk.Alg.ShouldBe("ES256");
        jwk.Crv.ShouldBe("P-256");
        using var published = HubCallbackSignature.FromJwk(jwk);
        HubCallbackSignature.Verify(published, "1795000000", OpenSslSignature, VectorBody, Now, HubSignature.DefaultWindow).ShouldBe(HubSignatureResult.Valid);
    }

    [Fact]
    public void CallbackSign_ThenVerify_Valid()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signature = HubCallbackSignature.Sign(key, "1795000000", VectorBody);
        signature.ShouldStartWith("es256=");
        HubCallbackSignature.Verify(key, "1795000000", signature, VectorBody, Now, HubSignature.DefaultWindow).ShouldBe(HubSignatureResult.Valid);
    }

    public static TheoryData<string, string?, string?, HubSignatureResult> Rejections => new()
    {
        { "body changed", "1795000000", OpenSslSignature, HubSignatureResult.Invalid },
        { "timestamp changed (replayed with a new time)", "1795000001", OpenSslSignature, HubSignatureResult.Invalid },
        { "stale", "1794999000", OpenSslSignature, HubSignatureResult.Stale },
        { "future", "1795000700", OpenSslSignature, HubSignatureResult.Stale },
        { "missing signature", "1795000000", null, HubSignatureResult.Missing },
        { "missing timestamp", null, OpenSslSignature, HubSignatureResult.Missing },
        { "HMAC scheme instead of ES256", "1795000000", "v1=" + new string('a', 64), HubSignatureResult.Malformed },
        { "truncated", "1795000000", OpenSslSignature[..40], HubSignatureResult.Malformed },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void CallbackVerify_Rejections(string label, string? timestamp, string? signature, HubSignatureResult expected)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(OpenSslKey);
        var body = label == "body changed" ? Encoding.UTF8.GetBytes("{\"type\":\"takedown.requested\",\"takedownId\":\"T2\"}") : VectorBody;
        HubCallbackSignature.Verify(key, timestamp, signature, body, Now, HubSignature.DefaultWindow).ShouldBe(expected, label);
    }

    [Fact]
    public void CallbackVerify_SignedByAnotherKey_Invalid()
    {
        using var hubKey = ECDsa.Create();
        hubKey.ImportFromPem(OpenSslKey);
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        HubCallbackSignature.Verify(hubKey, "1795000000", HubCallbackSignature.Sign(forger, "1795000000", VectorBody), VectorBody, Now, HubSignature.DefaultWindow)
            .ShouldBe(HubSignatureResult.Invalid);
    }
}

public class PlatformMappingTests
{
    private static PlatformReport Report(string type, string[]? annotations = null, string[]? tags = null, string? escalate = null) => new()
    {
        PlatformReportId = "r1",
        Incident = new PlatformIncident { Type = type, Annotations = annotations ?? [], EscalateToHighPriority = escalate },
        Files = tags is null ? [] : [new PlatformFile { Hashes = new PlatformHashes { Md5 = new string('a', 32) }, Tags = tags }],
    };

    [Theory]
    [InlineData("child-sexual-abuse-material", "OCSEA.CSAM", Urgencies.High)]
    [InlineData("child-sex-trafficking", "EXPL.TRAFFICKING", Urgencies.High)]
    [InlineData("child-sex-tourism", "EXPL.SEXUAL_OFFLINE", Urgencies.High)]
    [InlineData("child-sexual-molestation", "VIOL.SEXUAL", Urgencies.High)]
    [InlineData("online-enticement", "OCSEA.GROOMING", Urgencies.High)]
    [InlineData("unsolicited-obscene-material-to-child", "OCSEA.OBSCENE_TO_CHILD", Urgencies.Normal)]
    [InlineData("misleading-domain-name", "ONLINE.HARMFUL_CONTENT", Urgencies.Normal)]
    [InlineData("cyberbullying", "ONLINE.BULLYING", Urgencies.Normal)]
    [InlineData("self-harm", "WELLBEING.SELF_HARM", Urgencies.High)]
    [InlineData("other", "OTHER", Urgencies.Normal)]
    public void Assess_IncidentType_MapsToTaxonomy(string type, string category, string urgency)
    {
        var a = PlatformMapping.Assess(Report(type));
        a.Categories.ShouldBe([category]);
        a.Urgency.ShouldBe(urgency);
        a.Reasons.ShouldContain("platform:incident:" + type);
        Hub.Core.Taxonomy.Categories.IsValid(category).ShouldBeTrue();
    }

    [Fact]
    public void Assess_EveryIncidentTypeInTheSchema_IsMapped() =>
        PlatformMapping.IncidentTypeNames.Count.ShouldBe(14);

    [Fact]
    public void Assess_SextortionAnnotation_AddsCategoryAndHigh()
    {
        var a = PlatformMapping.Assess(Report("unsolicited-obscene-material-to-child", annotations: ["sextortion"]));
        a.Categories.ShouldBe(["OCSEA.OBSCENE_TO_CHILD", "OCSEA.SEXTORTION"]);
        a.Urgency.ShouldBe(Urgencies.High);
    }

    [Fact]
    public void Assess_FileTags_AddCategories()
    {
        var a = PlatformMapping.Assess(Report("child-sexual-abuse-material", tags: ["possible-self-production", "live-streaming", "generative-ai"]));
        a.Categories.ShouldBe(["OCSEA.CSAM", "OCSEA.SELF_GENERATED", "OCSEA.LIVESTREAM"]);
        a.Reasons.ShouldContain("platform:file:generative-ai");
    }

    [Fact]
    public void Assess_Escalated_Immediate() =>
        PlatformMapping.Assess(Report("cyberbullying", escalate: "Child says they will harm themselves tonight")).Urgency.ShouldBe(Urgencies.Immediate);

    [Fact]
    public void Assess_SpamOnly_Low() =>
        PlatformMapping.Assess(Report("misleading-domain-name", annotations: ["spam"])).Urgency.ShouldBe(Urgencies.Low);

    [Fact]
    public void Assess_SpamOnAHighReport_StaysHigh() =>
        PlatformMapping.Assess(Report("child-sexual-abuse-material", annotations: ["spam"])).Urgency.ShouldBe(Urgencies.High);

    [Theory]
    [InlineData(13, 14, "10-13")]
    [InlineData(14, 15, "14-15")]
    [InlineData(6, 8, "under-10")]
    [InlineData(16, 17, "16-17")]
    [InlineData(null, 15, "14-15")]
    [InlineData(19, 22, "adult")]
    public void AgeBand_Midpoint(int? min, int? max, string band) =>
        PlatformMapping.AgeBand(new PlatformVictim { EstimatedAgeMin = min, EstimatedAgeMax = max }).ShouldBe(band);

    [Fact]
    public void AgeBand_NoEstimate_Null() => PlatformMapping.AgeBand(new PlatformVictim()).ShouldBeNull();

    [Fact]
    public void SemanticErrors_ListsEachByPath()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_795_000_000);
        var report = Report("other") with
        {
            Incident = new PlatformIncident { Type = "other", OccurredAt = now.AddDays(1) },
            Victim = new PlatformVictim { EstimatedAgeMin = 15, EstimatedAgeMax = 12 },
            ActionsTaken = [new PlatformAction { Action = "none" }, new PlatformAction { Action = "content-removed", At = now.AddHours(2) }],
        };
        PlatformMapping.SemanticErrors(report, now, "$.reports[2]").Keys.Order(StringComparer.Ordinal).ShouldBe(
            ["$.reports[2].actionsTaken[1].at", "$.reports[2].incident.occurredAt", "$.reports[2].victim.estimatedAgeMax"]);
    }

    [Fact]
    public void SemanticErrors_Valid_None() =>
        PlatformMapping.SemanticErrors(Report("other"), DateTimeOffset.FromUnixTimeSeconds(1_795_000_000)).ShouldBeEmpty();
}
