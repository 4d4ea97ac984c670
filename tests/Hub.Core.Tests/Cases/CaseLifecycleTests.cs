using Hub.Core.Cases;
using Hub.Core.Envelope;

namespace Hub.Core.Tests.Cases;

public sealed class CaseLifecycleTests
{
    /// <summary>The whole table, written out: any change to the rules must change this test too.</summary>
    [Fact]
    public void AllowedMoves_AreExactlyTheseTwelve()
    {
        CaseLifecycle.AllMoves.Select(m => $"{CaseLifecycle.Name(m.From)} --{CaseLifecycle.Name(m.Action)}--> {CaseLifecycle.Name(m.To)}").Order(StringComparer.Ordinal).ShouldBe(
        [
            "closed --reopen--> reopened",
            "new --assign--> open",
            "new --claim--> open",
            "open --assign--> open",
            "open --close--> closed",
            "open --refer--> referred",
            "open --release--> new",
            "referred --assign--> referred",
            "referred --close--> closed",
            "referred --referral-done--> open",
            "reopened --assign--> open",
            "reopened --claim--> open",
        ]);
    }

    [Fact]
    public void EveryOtherPair_IsRefused()
    {
        var allowed = CaseLifecycle.AllMoves.Select(m => (m.From, m.Action)).ToHashSet();
        foreach (var status in Enum.GetValues<CaseStatus>())
        {
            foreach (var action in Enum.GetValues<CaseAction>())
            {
                (CaseLifecycle.Next(status, action) is not null).ShouldBe(allowed.Contains((status, action)), $"{status} × {action}");
            }
        }
    }

    [Fact]
    public void OnlyOpenAndReferredCases_HaveAPersonalOwner_AndEveryMoveIntoThemAssignsOne()
    {
        CaseLifecycle.HasPersonalOwner(CaseStatus.Open).ShouldBeTrue();
        CaseLifecycle.HasPersonalOwner(CaseStatus.Referred).ShouldBeTrue();
        CaseLifecycle.HasPersonalOwner(CaseStatus.New).ShouldBeFalse();
        CaseLifecycle.HasPersonalOwner(CaseStatus.Reopened).ShouldBeFalse();
        CaseLifecycle.AllMoves.Where(m => !CaseLifecycle.HasPersonalOwner(m.From) && CaseLifecycle.HasPersonalOwner(m.To))
            .Select(m => m.Action).Distinct().Order().ShouldBe([CaseAction.Claim, CaseAction.Assign]);
    }

    [Fact]
    public void Names_RoundTrip()
    {
        foreach (var s in Enum.GetValues<CaseStatus>())
        {
            CaseLifecycle.ParseStatus(CaseLifecycle.Name(s)).ShouldBe(s);
        }

        foreach (var r in Enum.GetValues<CloseReason>())
        {
            CaseLifecycle.TryParseCloseReason(CaseLifecycle.Name(r), out var back).ShouldBeTrue();
            back.ShouldBe(r);
        }

        CaseLifecycle.TryParseCloseReason("solved", out _).ShouldBeFalse();
        Should.Throw<InvalidDataException>(() => CaseLifecycle.ParseStatus("pending"));
    }
}

public sealed class CaseClockTests
{
    private static readonly DateTimeOffset Received = new(2026, 12, 1, 22, 50, 0, TimeSpan.FromHours(7));

    [Theory]
    [InlineData(Urgencies.Immediate, 15)]
    [InlineData(Urgencies.High, 60)]
    [InlineData(Urgencies.Normal, 1440)]
    [InlineData(Urgencies.Low, 4320)]
    public void FirstResponseDue_DefaultsFromTheIssue(string urgency, int minutes) =>
        CaseClock.FirstResponseDue(Received, urgency, new CaseClockOptions()).ShouldBe(Received.AddMinutes(minutes));

    [Fact]
    public void InterventionDeadline_IsTwelveHoursFromReceipt_ForImmediateOnly()
    {
        CaseClock.InterventionDue(Received, Urgencies.Immediate, new CaseClockOptions()).ShouldBe(Received.AddHours(12));
        CaseClock.InterventionDue(Received, Urgencies.High, new CaseClockOptions()).ShouldBeNull();
    }

    [Fact]
    public void Clocks_AreConfigurable()
    {
        var o = new CaseClockOptions { High = TimeSpan.FromMinutes(30), Intervention = TimeSpan.FromHours(6) };
        CaseClock.FirstResponseDue(Received, Urgencies.High, o).ShouldBe(Received.AddMinutes(30));
        CaseClock.InterventionDue(Received, Urgencies.Immediate, o).ShouldBe(Received.AddHours(6));
    }

    [Fact]
    public void Overdue_OnlyAfterTheDue_AndNeverOnceDone()
    {
        var due = Received.AddMinutes(15);
        CaseClock.IsOverdue(due, null, due).ShouldBeFalse("at the due time it is not yet late");
        CaseClock.IsOverdue(due, null, due.AddTicks(1)).ShouldBeTrue();
        CaseClock.IsOverdue(due, due.AddMinutes(5), due.AddHours(1)).ShouldBeFalse();
        CaseClock.IsOverdue(null, null, due.AddDays(9)).ShouldBeFalse();
    }

    [Fact]
    public void Rank_OrdersImmediateFirst() =>
        new[] { Urgencies.Low, Urgencies.Immediate, Urgencies.Normal, Urgencies.High }.OrderBy(CaseClock.Rank).ShouldBe([Urgencies.Immediate, Urgencies.High, Urgencies.Normal, Urgencies.Low]);
}

public sealed class AuditChainTests
{
    private static AuditEntry Entry(long id, string action = "case.view", string? source = "203.0.113.7") =>
        new(id, new DateTimeOffset(2026, 12, 1, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567), 7, action, "01KCASE", ["case", "notes"], source);

    [Fact]
    public void Hash_IsSha256OfThePreviousHashAndTheCanonicalContent()
    {
        var e = Entry(1);
        var expected = System.Security.Cryptography.SHA256.HashData([.. new byte[32], .. System.Text.Encoding.UTF8.GetBytes(AuditChain.Canonical(e))]);
        AuditChain.Hash(AuditChain.Genesis.Span, e).ShouldBe(expected);
        AuditChain.Canonical(e).ShouldBe("1\n2026-12-01T03:04:05.123456Z\n7\ncase.view\n01KCASE\ncase,notes\n203.0.113.7", "microseconds, as PostgreSQL keeps them");
    }

    [Fact]
    public void AnyChangeOfContentOrLink_ChangesTheHash()
    {
        var previous = AuditChain.Hash(AuditChain.Genesis.Span, Entry(1));
        var h = AuditChain.Hash(previous, Entry(2));
        AuditChain.Hash(previous, Entry(2, action: "case.claim")).ShouldNotBe(h);
        AuditChain.Hash(previous, Entry(2, source: null)).ShouldNotBe(h);
        AuditChain.Hash(previous, Entry(3)).ShouldNotBe(h);
        AuditChain.Hash(AuditChain.Genesis.Span, Entry(2)).ShouldNotBe(h, "the link to the previous row is part of the hash");
    }

    [Fact]
    public void SeparatorsInsideValues_CannotForgeAnotherSplit()
    {
        var a = new AuditEntry(1, DateTimeOffset.UnixEpoch, null, "a", null, ["x,y"], null);
        var b = new AuditEntry(1, DateTimeOffset.UnixEpoch, null, "a", null, ["x", "y"], null);
        AuditChain.Canonical(a).ShouldNotBe(AuditChain.Canonical(b));
    }
}
