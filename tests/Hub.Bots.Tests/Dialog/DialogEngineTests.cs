using System.Text;
using Hub.Bots.Activities;
using Hub.Bots.Dialog;
using Hub.Core.Envelope;

namespace Hub.Bots.Tests.Dialog;

/// <summary>The intake flow as pure logic: each test drives a conversation turn by turn.</summary>
public sealed class DialogEngineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private readonly ConversationState _s = new();
    private int _n;
    private DateTimeOffset _now = T0;

    private TurnOutcome Say(string? text, string? payload = null, IReadOnlyList<Evidence>? evidence = null)
    {
        _now = _now.AddSeconds(10);
        var a = new Activity
        {
            Type = ActivityTypes.Message,
            Id = $"m{++_n}",
            Timestamp = _now,
            ChannelId = "messenger",
            From = new ChannelAccount("psid"),
            Recipient = new ChannelAccount("page"),
            Conversation = new ConversationAccount("messenger:page:psid"),
            Text = text,
            Value = payload,
        };
        return DialogEngine.OnMessage(_s, a, evidence ?? [], _now);
    }

    [Fact]
    public void Opening_GreetsWithPrivacyLineAndAsksAboutDangerFirst()
    {
        var o = Say("xin chào");
        o.Replies.Select(r => r.Text).ShouldBe([BotTexts.Greeting, BotTexts.Privacy, BotTexts.AskDanger]);
        o.Replies[2].Choices.Select(c => c.Payload).ShouldBe([BotTexts.PayloadYes, BotTexts.PayloadNo, BotTexts.PayloadHandoff]);
        _s.Step.ShouldBe(Steps.AskDanger);
        _s.Answers.DescriptionParts.ShouldBeEmpty(); // a greeting is not a report
    }

    [Fact]
    public void QuickReplyTitles_FitMessengersTwentyCharacters()
    {
        var all = BotTexts.DangerChoices.Concat(BotTexts.WhatChoices.Select(x => x.Choice)).Concat(BotTexts.WhoChoices.Select(x => x.Choice))
            .Concat(BotTexts.AgeChoices.Select(x => x.Choice)).Concat(BotTexts.WhereChoices.Select(x => x.Choice)).Concat(BotTexts.AnythingElseChoices).Concat(BotTexts.EvidenceChoices);
        all.ShouldAllBe(c => c.Title.Length <= 20);
        (BotTexts.WhatChoices.Length + 1).ShouldBeLessThanOrEqualTo(13);
    }

    [Theory]
    [InlineData("toi bi doa tung anh")]
    [InlineData("tôi bị dọa tung ảnh")]
    [InlineData("TÔI BỊ DỌA TUNG ẢNH")]
    public void WhatHappened_FreeTextWithOrWithoutDiacritics_MapsToTheTaxonomy(string text)
    {
        Say("chào");
        Say("không", BotTexts.PayloadNo);
        Say(text.Normalize(NormalizationForm.FormD)).Replies[0].Text.ShouldBe(BotTexts.AskWho);
        _s.Answers.Categories.ShouldBe(["OCSEA.SEXTORTION"]);
        _s.Answers.DescriptionParts.ShouldHaveSingleItem().IsNormalized(NormalizationForm.FormC).ShouldBeTrue();
    }

    [Fact]
    public void Answers_ByNumberByTitleWithoutAccentsOrByPayload_AreAllUnderstood()
    {
        Say("chào");
        Say("2"); // "Không"
        _s.Step.ShouldBe(Steps.AskWhat);
        Say("bi bat nat"); // the title "Bị bắt nạt" typed without accents
        _s.Answers.Categories.ShouldBe(["ONLINE.BULLYING"]);
        Say(null, "WHO:friend");
        _s.Answers.Victim.ShouldBe("friend");
        Say("tám tuổi 8");
        _s.Answers.AgeBand.ShouldBe("under-10");
    }

    [Theory]
    [InlineData("em ở Hà Giang", "08")] // merged into Tuyên Quang in 2025
    [InlineData("em o binh duong", "79")] // merged into Hồ Chí Minh City in 2025
    [InlineData("Quảng Nam", "48")] // merged into Đà Nẵng in 2025
    public void Where_FormerProvinceNames_MapToTodaysProvince(string text, string code)
    {
        ReachWhere();
        Say(text).Replies[0].Text.ShouldBe(BotTexts.AskEvidence);
        _s.Answers.ProvinceCode.ShouldBe(code);
    }

    [Fact]
    public void Where_UnknownNameTwice_MovesOnWithoutAProvince()
    {
        ReachWhere();
        Say("trên trời").Replies[0].Text.ShouldBe(BotTexts.AskWhereAgain);
        Say("không biết").Replies[0].Text.ShouldBe(BotTexts.AskEvidence);
        _s.Answers.ProvinceCode.ShouldBeNull();
    }

    [Fact]
    public void CompleteFlow_EmitsOneReportAndTheSummaryCarriesTheCodePlaceholder()
    {
        ReachWhere();
        Say(null, "PROV:01");
        Say("https://facebook.com/ke.xau");
        var done = Say("xong");
        done.Report.ShouldNotBeNull();
        done.Report.Reason.ShouldBe("completed");
        done.Report.Session.ShouldBe(1);
        done.Report.Answers.Urls.ShouldBe(["https://facebook.com/ke.xau"]);
        done.Report.Answers.ProvinceCode.ShouldBe("01");
        done.Report.Transcript.Count(l => l.From == "child").ShouldBe(8);
        done.Replies[0].Text.ShouldContain(BotReply.CodePlaceholder);
        done.Replies[0].Text.ShouldContain("Hà Nội");
        _s.Step.ShouldBe(Steps.AnythingElse);
        _s.Session.ShouldBe(2);
        _s.Transcript.Count.ShouldBe(2); // the new session starts with the summary and its question
    }

    [Fact]
    public void DangerWords_MidFlow_InterruptWithTheDangerQuestionThenResume()
    {
        ReachWhere();
        var o = Say("nó đang đứng ngoài cửa, cứu em");
        o.Replies.ShouldHaveSingleItem().Text.ShouldBe(BotTexts.AskDanger);
        _s.ResumeStep.ShouldBe(Steps.AskWhere);
        Say("không").Replies[0].Text.ShouldBe(BotTexts.AskWhere);
    }

    [Fact]
    public void DangerYes_EmitsImmediatelyAndOpensAFollowUpSession()
    {
        Say("có người đánh em");
        var o = Say("có");
        o.Report.ShouldNotBeNull();
        o.Report.Urgency.ShouldBe(Urgencies.Immediate);
        o.Report.Reason.ShouldBe("danger");
        o.Report.Description.ShouldBe("có người đánh em");
        o.Replies[0].Text.ShouldContain("111");
        o.Replies[0].Text.ShouldContain("113");
        o.Replies[1].Choices.ShouldContain(BotTexts.Person);
        _s.Session.ShouldBe(2);
        _s.Step.ShouldBe(Steps.AskWhat);
    }

    [Fact]
    public void SelfHarmChoice_IsTreatedAsDanger()
    {
        Say("chào");
        Say("không");
        Say("Muốn làm đau mình", "CAT:WELLBEING.SELF_HARM").Replies[0].Text.ShouldBe(BotTexts.AskDanger);
    }

    [Fact]
    public void Handoff_AtAnyPoint_EmitsFlaggedReportAndSilencesTheBot()
    {
        Say("chào");
        var o = Say("cho em gap nguoi that");
        o.Report.ShouldNotBeNull();
        o.Report.Handoff.ShouldBeTrue();
        _s.Handoff.ShouldBeTrue();

        var later = Say("anh chị ơi");
        later.Replies.ShouldBeEmpty();
        later.Report.ShouldBeNull();
        _s.Answers.DescriptionParts.ShouldBe(["anh chị ơi"]);

        var released = DialogEngine.OnRelease(_s, _now);
        released.Report.ShouldNotBeNull();
        released.Report.Handoff.ShouldBeTrue();
        released.Report.FollowUpOf.ShouldBeNull(); // the host sets LastReferenceCode after emitting
        _s.Handoff.ShouldBeFalse();
        _s.Step.ShouldBe(Steps.Closed);
    }

    [Fact]
    public void Idle_EmitsWhatWasSaidOnlyAfterTheTimeout()
    {
        Say("có người lạ nhắn tin dụ dỗ em");
        DialogEngine.OnIdle(_s, _now.AddMinutes(29), TimeSpan.FromMinutes(30)).Report.ShouldBeNull();
        var idle = DialogEngine.OnIdle(_s, _now.AddMinutes(31), TimeSpan.FromMinutes(30));
        idle.Report.ShouldNotBeNull();
        idle.Report.Reason.ShouldBe("idle");
        idle.Report.Answers.Categories.ShouldContain("OCSEA.GROOMING");
        idle.Replies.ShouldHaveSingleItem().Text.ShouldBe(BotTexts.IdleSaved);
        DialogEngine.OnIdle(_s, _now.AddMinutes(90), TimeSpan.FromMinutes(30)).Report.ShouldBeNull(); // nothing new
    }

    [Fact]
    public void Idle_AfterOnlyAGreeting_EmitsNothing()
    {
        Say("hi");
        DialogEngine.OnIdle(_s, _now.AddHours(1), TimeSpan.FromMinutes(30)).ShouldBe(TurnOutcome.Nothing);
    }

    [Fact]
    public void SameActivityTwice_IsHandledOnce()
    {
        var a = new Activity
        {
            Type = ActivityTypes.Message, Id = "same", Timestamp = T0, ChannelId = "zalo", From = new("u"), Recipient = new("oa"),
            Conversation = new("zalo:oa:u"), Text = "chào",
        };
        DialogEngine.OnMessage(_s, a, [], T0).Replies.Count.ShouldBe(3);
        DialogEngine.OnMessage(_s, a, [], T0).ShouldBe(TurnOutcome.Nothing);
    }

    private void ReachWhere()
    {
        Say("chào");
        Say("không");
        Say(null, "CAT:ONLINE.BULLYING");
        Say(null, "WHO:self");
        Say(null, "AGE:14-15").Replies[0].Text.ShouldBe(BotTexts.AskWhere);
    }

    [Fact]
    public void OperatorReply_InAHandoff_JoinsTranscriptAndOutboxOnce_AndOutsideAHandoffDoesNothing()
    {
        var now = DateTimeOffset.Parse("2026-12-02T01:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var s = new ConversationState();
        DialogEngine.OnOperatorReply(s, "r1", "Chào em", now).StateChanged.ShouldBeFalse("the bot holds it: no counsellor reply");

        s.Handoff = true;
        var first = DialogEngine.OnOperatorReply(s, "r1", "Chào em", now);
        first.Replies.ShouldHaveSingleItem().Human.ShouldBeTrue();
        first.Replies[0].Id.ShouldBe("r1");
        s.Transcript.ShouldHaveSingleItem().ShouldBe(new TranscriptLine(now, "counsellor", "Chào em", null, "r1"));
        DialogEngine.OnOperatorReply(s, "r1", "Chào em", now).StateChanged.ShouldBeFalse("a redelivered reply is recorded once");
        s.Transcript.Count.ShouldBe(1);
    }
}
