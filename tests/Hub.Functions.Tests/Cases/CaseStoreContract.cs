using Hub.Core.Cases;
using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Functions.Tests.Cases;

/// <summary>
/// What every <see cref="ICaseStore"/> must do (Rebus's contract tests): the PostgreSQL store passes it, and the
/// tests' fault-injecting wrapper passes it too, so no double drifts from the real thing. Each test works on instances of its own, so implementations may share one store.
/// </summary>
public abstract class CaseStoreContract
{
    /// <summary>The store under test, empty or not; its clock (for creation and update times) is <see cref="Time"/>.</summary>
    protected abstract ICaseStore Store { get; }

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));

    private static string NewInstance() => "contract-" + Guid.NewGuid().ToString("N")[..12];

    private ReportEnvelope Envelope(string instance, string messageId, int? revision = null, string urgency = Urgencies.Normal, string? province = "01", string? code = null, string? followUpOf = null) => new()
    {
        Id = ReportId.New(Time),
        ReceivedAt = Time.GetUtcNow(),
        Channel = ReportChannels.Sms,
        ChannelInstance = instance,
        ReferenceCode = code ?? ReferenceCodeFor(instance, messageId),
        Revision = revision,
        Source = new ReportSource { Provider = "test", ProviderMessageId = messageId, FollowUpOf = followUpOf },
        Reporter = new Reporter { Pseudonym = "ps-" + instance },
        Incident = new Incident { Description = $"revision {revision ?? 1}", Categories = ["cyberbullying"] },
        Location = province is null ? null : new Location { ProvinceCode = province },
        Signals = new Signals { Urgency = urgency },
    };

    /// <summary>A distinct, well-formed code per (instance, message): the stores do not check codes, only keep them.</summary>
    private static string ReferenceCodeFor(string instance, string messageId)
    {
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(instance + "|" + messageId)));
        var alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        var chars = hash.Take(8).Select(c => alphabet[Convert.ToInt32(c.ToString(), 16) + 16]).ToArray();
        return new string(chars, 0, 4) + "-" + new string(chars, 4, 4);
    }

    private Task<ProcessOutcome> WriteAsync(ReportEnvelope e) =>
        Store.WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);

    [Fact]
    public async Task Write_NewReport_CreatesOneCaseReadableByKeyCodeAndId()
    {
        var instance = NewInstance();
        var e = Envelope(instance, "m1", urgency: Urgencies.High, province: "48");

        (await WriteAsync(e)).ShouldBe(ProcessOutcome.Created);

        var byKey = (await Store.FindAsync(instance, "m1", CancellationToken.None)).ShouldNotBeNull();
        byKey.Id.ShouldBe(e.Id);
        byKey.ChannelInstance.ShouldBe(instance);
        byKey.ProviderMessageId.ShouldBe("m1");
        byKey.ReferenceCode.ShouldBe(e.ReferenceCode);
        byKey.Channel.ShouldBe(ReportChannels.Sms);
        byKey.Urgency.ShouldBe(Urgencies.High);
        byKey.ProvinceCode.ShouldBe("48");
        byKey.Categories.ShouldBe(["cyberbullying"]);
        byKey.ReporterPseudonym.ShouldBe("ps-" + instance);
        byKey.Revision.ShouldBe(1);
        byKey.Status.ShouldBe(CaseStatus.New);
        byKey.ReceivedAt.ShouldBe(e.ReceivedAt);
        byKey.CreatedAt.ShouldBe(Time.GetUtcNow());
        JsonDocument.Parse(byKey.Envelope).RootElement.GetProperty("id").GetString().ShouldBe(e.Id);

        (await Store.FindByReferenceCodeAsync(e.ReferenceCode, CancellationToken.None)).ShouldNotBeNull().Id.ShouldBe(e.Id);
        (await Store.GetAsync(e.Id, CancellationToken.None)).ShouldNotBeNull().ProviderMessageId.ShouldBe("m1");
    }

    [Fact]
    public async Task Write_SameReportTwice_IsADuplicateAndStaysOneCase()
    {
        var instance = NewInstance();
        var first = Envelope(instance, "m1");
        var redelivered = Envelope(instance, "m1"); // a second envelope for the same provider message (a retried webhook)

        (await WriteAsync(first)).ShouldBe(ProcessOutcome.Created);
        (await WriteAsync(first)).ShouldBe(ProcessOutcome.Duplicate);
        (await WriteAsync(redelivered)).ShouldBe(ProcessOutcome.Duplicate);

        (await Store.FindAsync(instance, "m1", CancellationToken.None)).ShouldNotBeNull().Id.ShouldBe(first.Id);
        (await Store.ListRecentAsync(int.MaxValue, CancellationToken.None)).Count(c => c.ChannelInstance == instance).ShouldBe(1);
    }

    [Fact]
    public async Task Write_SameMessageIdOnTwoInstances_MakesTwoCases()
    {
        var a = NewInstance();
        var b = NewInstance();
        (await WriteAsync(Envelope(a, "same-id"))).ShouldBe(ProcessOutcome.Created);
        (await WriteAsync(Envelope(b, "same-id"))).ShouldBe(ProcessOutcome.Created);

        (await Store.FindAsync(a, "same-id", CancellationToken.None)).ShouldNotBeNull().ChannelInstance.ShouldBe(a);
        (await Store.FindAsync(b, "same-id", CancellationToken.None)).ShouldNotBeNull().ChannelInstance.ShouldBe(b);
    }

    [Fact]
    public async Task Write_HigherRevision_UpdatesTheReportFieldsAndKeepsTheCasesOwn()
    {
        var instance = NewInstance();
        var first = Envelope(instance, "CA1", revision: 1, urgency: Urgencies.Normal);
        (await WriteAsync(first)).ShouldBe(ProcessOutcome.Created);
        var created = Time.GetUtcNow();

        Time.Advance(TimeSpan.FromMinutes(3));
        var later = Envelope(instance, "CA1", revision: 3, urgency: Urgencies.Immediate, province: "79");
        (await WriteAsync(later)).ShouldBe(ProcessOutcome.Updated);

        var c = (await Store.FindAsync(instance, "CA1", CancellationToken.None)).ShouldNotBeNull();
        c.Revision.ShouldBe(3);
        c.Urgency.ShouldBe(Urgencies.Immediate);
        c.ProvinceCode.ShouldBe("79");
        JsonDocument.Parse(c.Envelope).RootElement.GetProperty("revision").GetInt32().ShouldBe(3);
        c.Id.ShouldBe(first.Id, "the case keeps the id of the report that opened it");
        c.Status.ShouldBe(CaseStatus.New);
        c.CreatedAt.ShouldBe(created);
        c.UpdatedAt.ShouldBe(Time.GetUtcNow());
    }

    [Fact]
    public async Task Write_SameOrLowerRevision_IsADuplicateAndChangesNothing()
    {
        var instance = NewInstance();
        (await WriteAsync(Envelope(instance, "CA1", revision: 4, urgency: Urgencies.High))).ShouldBe(ProcessOutcome.Created);

        (await WriteAsync(Envelope(instance, "CA1", revision: 4, urgency: Urgencies.Low))).ShouldBe(ProcessOutcome.Duplicate);
        (await WriteAsync(Envelope(instance, "CA1", revision: 2, urgency: Urgencies.Low))).ShouldBe(ProcessOutcome.Duplicate);

        var c = (await Store.FindAsync(instance, "CA1", CancellationToken.None)).ShouldNotBeNull();
        c.Revision.ShouldBe(4);
        c.Urgency.ShouldBe(Urgencies.High);
    }

    [Fact]
    public async Task Write_RevisionsRacingInAnyOrder_EndAtTheHighest()
    {
        var instance = NewInstance();
        var revisions = Enumerable.Range(1, 12).Reverse().Concat(Enumerable.Range(1, 12)).ToList();
        var outcomes = await Task.WhenAll(revisions.Select(r => WriteAsync(Envelope(instance, "CA-race", revision: r))));

        outcomes.Count(o => o == ProcessOutcome.Created).ShouldBe(1);
        (await Store.FindAsync(instance, "CA-race", CancellationToken.None)).ShouldNotBeNull().Revision.ShouldBe(12);
        (await Store.ListRecentAsync(int.MaxValue, CancellationToken.None)).Count(c => c.ChannelInstance == instance).ShouldBe(1);
    }

    [Theory]
    [InlineData("conv/abc#1?x")]
    [InlineData("back\\slash%25")]
    [InlineData("tab\there")]
    public async Task Find_ProviderIdsWithReservedCharacters_RoundTrip(string messageId)
    {
        var instance = NewInstance() + "/p#1";
        (await WriteAsync(Envelope(instance, messageId))).ShouldBe(ProcessOutcome.Created);

        var c = (await Store.FindAsync(instance, messageId, CancellationToken.None)).ShouldNotBeNull();
        c.ChannelInstance.ShouldBe(instance);
        c.ProviderMessageId.ShouldBe(messageId);
        (await Store.ListRecentAsync(int.MaxValue, CancellationToken.None)).ShouldContain(x => x.ChannelInstance == instance && x.ProviderMessageId == messageId);
    }

    [Fact]
    public async Task Find_Unknown_ReturnsNull()
    {
        (await Store.FindAsync(NewInstance(), "nothing", CancellationToken.None)).ShouldBeNull();
        (await Store.FindByReferenceCodeAsync("ZZZZ-ZZZZ", CancellationToken.None)).ShouldBeNull();
        (await Store.GetAsync(ReportId.New(Time), CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task ListRecent_NewestFirst_AtMostTheCountAsked()
    {
        var instance = NewInstance();
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            Time.Advance(TimeSpan.FromDays(400)); // later than anything another test wrote into a shared store
            var e = Envelope(instance, $"m{i}");
            ids.Add(e.Id);
            (await WriteAsync(e)).ShouldBe(ProcessOutcome.Created);
        }

        var recent = await Store.ListRecentAsync(3, CancellationToken.None);
        recent.Select(c => c.Id).ShouldBe([ids[3], ids[2], ids[1]]);
    }

    [Fact]
    public async Task Write_FollowUpOfAnOpenCase_JoinsItAndMakesNoSecondCase()
    {
        var instance = NewInstance();
        var first = Envelope(instance, "conv-1");
        (await WriteAsync(first)).ShouldBe(ProcessOutcome.Created);

        var followUp = Envelope(instance, "conv-2", followUpOf: first.ReferenceCode);
        (await WriteAsync(followUp)).ShouldBe(ProcessOutcome.Attached);
        (await WriteAsync(followUp)).ShouldBe(ProcessOutcome.Duplicate, "a redelivered follow-up is still one report");

        (await Store.FindAsync(instance, "conv-2", CancellationToken.None)).ShouldNotBeNull().Id.ShouldBe(first.Id, "the follow-up's key finds the case it joined");
        (await Store.FindByReferenceCodeAsync(followUp.ReferenceCode, CancellationToken.None)).ShouldNotBeNull().Id.ShouldBe(first.Id);
        (await Store.ListRecentAsync(int.MaxValue, CancellationToken.None)).Count(c => c.ChannelInstance == instance).ShouldBe(1);
    }

    [Fact]
    public async Task Write_FollowUpOfAnUnknownReport_OpensACaseOfItsOwn()
    {
        var instance = NewInstance();
        var orphan = Envelope(instance, "m1", followUpOf: "ZZZZ-ZZZ9");
        (await WriteAsync(orphan)).ShouldBe(ProcessOutcome.Created);
        (await Store.FindAsync(instance, "m1", CancellationToken.None)).ShouldNotBeNull().Id.ShouldBe(orphan.Id);
    }

    [Fact]
    public async Task Check_AReachableStore_Succeeds() => await Store.CheckAsync(CancellationToken.None);
}
