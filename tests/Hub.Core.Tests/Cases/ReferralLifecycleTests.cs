using Hub.Core.Cases;
using Hub.Core.Envelope;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Core.Tests.Cases;

/// <summary>The referral state machine and its clocks: every move × every state × both sides, then the due times and escalation on a fake clock.</summary>
public sealed class ReferralLifecycleTests
{
    private const ReferralSide S = ReferralSide.Sender;
    private const ReferralSide R = ReferralSide.Receiver;

    [Theory]
    // the receiver's path
    [InlineData(ReferralState.Sent, ReferralState.Acknowledged, R, null, null, true)]
    [InlineData(ReferralState.Sent, ReferralState.Accepted, R, null, null, true)]
    [InlineData(ReferralState.Acknowledged, ReferralState.Accepted, R, null, null, true)]
    [InlineData(ReferralState.Acknowledged, ReferralState.Rejected, R, "không thuộc thẩm quyền", null, true)]
    [InlineData(ReferralState.Sent, ReferralState.Rejected, R, "sai địa bàn", null, true)]
    [InlineData(ReferralState.Accepted, ReferralState.Done, R, null, "child-safe", true)]
    // what the receiver may not do
    [InlineData(ReferralState.Acknowledged, ReferralState.Rejected, R, " ", null, false)]
    [InlineData(ReferralState.Acknowledged, ReferralState.Acknowledged, R, null, null, false)]
    [InlineData(ReferralState.Accepted, ReferralState.Rejected, R, "đổi ý", null, false)]
    [InlineData(ReferralState.Acknowledged, ReferralState.Done, R, null, "child-safe", false)]
    [InlineData(ReferralState.Accepted, ReferralState.Done, R, null, "made-up", false)]
    [InlineData(ReferralState.Accepted, ReferralState.Done, R, null, null, false)]
    [InlineData(ReferralState.Sent, ReferralState.Revoked, R, "x", null, false)]
    [InlineData(ReferralState.Acknowledged, ReferralState.Sent, R, null, null, false)]
    // the sender only revokes, with a reason, while it is open
    [InlineData(ReferralState.Sent, ReferralState.Revoked, S, "gửi nhầm đơn vị", null, true)]
    [InlineData(ReferralState.Accepted, ReferralState.Revoked, S, "trẻ đã an toàn", null, true)]
    [InlineData(ReferralState.Sent, ReferralState.Revoked, S, null, null, false)]
    [InlineData(ReferralState.Sent, ReferralState.Acknowledged, S, null, null, false)]
    [InlineData(ReferralState.Accepted, ReferralState.Done, S, null, "intervened", false)]
    // ended referrals do not move
    [InlineData(ReferralState.Done, ReferralState.Revoked, S, "x", null, false)]
    [InlineData(ReferralState.Rejected, ReferralState.Accepted, R, null, null, false)]
    [InlineData(ReferralState.Revoked, ReferralState.Acknowledged, R, null, null, false)]
    public void WhyNot_EachMove(ReferralState from, ReferralState to, ReferralSide side, string? reason, string? outcome, bool allowed)
    {
        var why = ReferralLifecycle.WhyNot(from, to, side, reason, outcome);
        if (allowed)
        {
            why.ShouldBeNull();
        }
        else
        {
            why.ShouldNotBeNullOrWhiteSpace();
        }
    }

    [Fact]
    public void IsOpen_UntilItEnds()
    {
        Enum.GetValues<ReferralState>().Where(ReferralLifecycle.IsOpen).ShouldBe([ReferralState.Sent, ReferralState.Acknowledged, ReferralState.Accepted]);
        foreach (var s in Enum.GetValues<ReferralState>())
        {
            ReferralLifecycle.Parse(ReferralLifecycle.Name(s)).ShouldBe(s);
        }

        ReferralLifecycle.Parse("pending").ShouldBeNull();
    }

    [Fact]
    public void Clocks_AcknowledgementByUrgencyAndEscalation()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        var o = new ReferralClockOptions();
        var received = time.GetUtcNow();
        time.Advance(TimeSpan.FromMinutes(5));
        var sent = time.GetUtcNow();
        ReferralLifecycle.AcknowledgeDue(sent, Urgencies.Immediate, o).ShouldBe(sent.AddMinutes(15));
        ReferralLifecycle.AcknowledgeDue(sent, Urgencies.High, o).ShouldBe(sent.AddHours(1));
        ReferralLifecycle.AcknowledgeDue(sent, Urgencies.Normal, o).ShouldBe(sent.AddHours(24));
        ReferralLifecycle.AcknowledgeDue(sent, Urgencies.Low, o).ShouldBe(sent.AddHours(24));

        var due = ReferralLifecycle.AcknowledgeDue(sent, Urgencies.Immediate, o);
        var intervention = CaseClock.InterventionDue(received, Urgencies.Immediate, new CaseClockOptions());
        time.Advance(TimeSpan.FromMinutes(15));
        ReferralLifecycle.Escalates(ReferralState.Sent, due, intervention, time.GetUtcNow()).ShouldBeFalse("exactly on time is not late");
        time.Advance(TimeSpan.FromSeconds(1));
        ReferralLifecycle.Escalates(ReferralState.Sent, due, intervention, time.GetUtcNow()).ShouldBeTrue("unacknowledged past its due time");
        ReferralLifecycle.Escalates(ReferralState.Acknowledged, due, intervention, time.GetUtcNow()).ShouldBeFalse("acknowledged in time: the 12 hours still run");

        time.Advance(TimeSpan.FromHours(12));
        ReferralLifecycle.Escalates(ReferralState.Accepted, due, intervention, time.GetUtcNow()).ShouldBeTrue("Decree 56's 12 hours passed with the referral still open");
        ReferralLifecycle.Escalates(ReferralState.Done, due, intervention, time.GetUtcNow()).ShouldBeFalse();
        ReferralLifecycle.Escalates(ReferralState.Accepted, due, null, time.GetUtcNow()).ShouldBeFalse("no 12-hour clock below immediate");
    }

    [Theory]
    [InlineData("nghi xâm hại", true, false, null, false, null)]
    [InlineData("nghi xâm hại", false, true, "trẻ đang gặp nguy hiểm, không liên lạc được", true, null)]
    [InlineData("", true, false, null, false, "a referral needs a reason")]
    [InlineData("nghi xâm hại", false, false, null, true, "the reporter has not consented: a supervisor may override, with a written reason")]
    [InlineData("nghi xâm hại", false, true, "khẩn", false, "only a supervisor overrides the reporter's consent")]
    [InlineData("nghi xâm hại", false, true, " ", true, "an override needs a written reason")]
    public void WhyNotSend_ConsentOrASupervisorsWrittenOverride(string reason, bool consented, bool overrides, string? overrideReason, bool supervisor, string? expected) =>
        ReferralLifecycle.WhyNotSend(reason, consented, overrides, overrideReason, supervisor).ShouldBe(expected);

    [Fact]
    public void Allowed_IsExactlyTheMovesWhyNotPermits_ForEachStateAndSide()
    {
        foreach (var from in Enum.GetValues<ReferralState>())
        {
            foreach (var side in Enum.GetValues<ReferralSide>())
            {
                var permitted = Enum.GetValues<ReferralState>().Where(to => ReferralLifecycle.WhyNot(from, to, side, "lý do", "child-safe") is null).ToList();
                ReferralLifecycle.Allowed(from, side).ShouldBe(permitted, $"{from} by the {side}");
            }
        }

        ReferralLifecycle.Allowed(ReferralState.Sent, ReferralSide.Receiver).ShouldBe([ReferralState.Acknowledged, ReferralState.Accepted, ReferralState.Rejected]);
        ReferralLifecycle.Allowed(ReferralState.Done, ReferralSide.Sender).ShouldBeEmpty();
    }
}
