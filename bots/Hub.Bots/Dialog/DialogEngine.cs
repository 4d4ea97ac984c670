using Hub.Bots.Activities;
using Hub.Core.Envelope;
using Hub.Core.Taxonomy;
using Hub.Core.Text;

namespace Hub.Bots.Dialog;

/// <summary>
/// The intake flow as a small state machine over channel-neutral activities (issue 3): greeting and privacy
/// line, danger first, what happened, to whom, age, where, evidence, summary with the reference code.
/// Pure: it mutates the state it is given and says what to reply and whether to emit a report; the host
/// persists, emits and sends. Free text is matched accent-insensitively ("toi bi doa" = "tôi bị dọa"), and
/// "gặp người thật" or a danger word works at any step.
/// </summary>
public static class DialogEngine
{
    private const int MaxDescriptionChars = 6000;
    private const int MaxTranscriptLines = 400;
    private const int MaxRecentIds = 64;

    private static readonly string[] HandoffPhrases = ["gap nguoi that", "nguoi that", "tu van vien", "noi chuyen voi nguoi", "gap nhan vien", "gap chuyen vien"];
    private static readonly string[] YesWords = ["co", "co a", "vang", "u", "dung", "dung vay", "yes", "co nguy hiem", "co minh dang so", "co em dang so", "so lam"];
    private static readonly string[] NoWords = ["khong", "ko", "k", "khong a", "no", "khong sao", "khong co", "chua", "khong cam on", "thoi"];
    private static readonly string[] DoneWords = ["xong", "xong roi", "het", "het roi", "khong co", "bo qua", "khong", "thoi", "done"];
    private static readonly string[] GreetingWords = ["xin chao", "chao", "chao ban", "hi", "hello", "alo", "bat dau", "get started", "hey", "chao ad", "ad oi"];

    /// <summary>Handles one message from the child. <paramref name="evidence"/> are its attachments, already stored.</summary>
    public static TurnOutcome OnMessage(ConversationState s, Activity a, IReadOnlyList<Evidence> evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(evidence);
        if (s.RecentActivityIds.Contains(a.Id))
        {
            return TurnOutcome.Nothing;
        }

        Remember(s, a.Id);
        var text = VietnameseText.Normalize(a.Text).Trim();
        var key = Provinces.Key(text);
        var payload = a.Value;

        var opening = s.Step is Steps.New or Steps.Closed;
        if (opening)
        {
            StartSession(s, now);
        }

        s.LastUserMessageAt = now;
        s.Transcript.Add(new TranscriptLine(now, "child", text, a.Attachments.Count > 0 ? a.Attachments.Select(x => x.Name ?? x.ContentType).ToList() : null));
        s.Answers.Evidence.AddRange(evidence);
        if (s.Transcript.Count > MaxTranscriptLines)
        {
            s.Transcript.RemoveRange(1, s.Transcript.Count - MaxTranscriptLines);
        }

        if (s.Handoff)
        {
            // An operator owns the conversation: keep everything, say nothing (the idle timer or a release emits it).
            Record(s, text, onlyIfNarrative: false);
            return TurnOutcome.Silent;
        }

        if (payload == BotTexts.PayloadHandoff || ContainsAny(key, HandoffPhrases))
        {
            Record(s, text, onlyIfNarrative: true);
            return HandOff(s, now);
        }

        if (opening)
        {
            if (!IsGreeting(key))
            {
                Record(s, text, onlyIfNarrative: false);
            }

            s.Step = Steps.AskDanger;
            return Reply(s, now, null, BotReply.Say(BotTexts.Greeting), BotReply.Say(BotTexts.Privacy), BotReply.Say(BotTexts.AskDanger, BotTexts.DangerChoices));
        }

        var outcome = s.Step switch
        {
            Steps.AskDanger => OnDangerAnswer(s, text, key, payload, now),
            Steps.AskWhat => OnWhat(s, text, key, payload, now),
            Steps.AskWho => OnWho(s, text, key, payload, now),
            Steps.AskAge => OnAge(s, text, key, payload, now),
            Steps.AskWhere => OnWhere(s, text, key, payload, now),
            Steps.AskEvidence => OnEvidence(s, text, key, payload, evidence, a.Attachments.Count, now),
            Steps.AnythingElse => OnAnythingElse(s, text, key, payload, now),
            Steps.FollowUp => OnFollowUp(s, text, key, payload, evidence, a.Attachments.Count, now),
            _ => Reply(s, now, null, BotReply.Say(BotTexts.NotUnderstood, BotTexts.Person)),
        };

        // Danger words anywhere (after the step took what it needed from the message) raise the danger question.
        if (outcome.Report is null && s.Step != Steps.AskDanger && !s.DangerConfirmed && IsDangerous(text, payload))
        {
            s.ResumeStep = s.Step;
            s.Step = Steps.AskDanger;
            s.Reprompts = 0;
            return Reply(s, now, null, BotReply.Say(BotTexts.AskDanger, BotTexts.DangerChoices));
        }

        return outcome;
    }

    /// <summary>The conversation went quiet: whatever the child said in this session still becomes a report.</summary>
    public static TurnOutcome OnIdle(ConversationState s, DateTimeOffset now, TimeSpan idleAfter)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.LastUserMessageAt is not { } last || now - last < idleAfter || !s.HasContent || s.Step is Steps.New or Steps.Closed)
        {
            return TurnOutcome.Nothing;
        }

        var handoff = s.Handoff;
        var report = CloseSession(s, "idle", handoff, now);
        s.Step = handoff ? Steps.HandedOff : Steps.Closed;
        return new TurnOutcome(handoff ? [] : [BotReply.Say(BotTexts.IdleSaved)], report);
    }

    /// <summary>An operator hands the conversation back to the bot; anything written meanwhile is emitted.</summary>
    /// <summary>
    /// A counsellor's reply in a conversation they hold: it joins the transcript (so it is part of the report when
    /// the conversation is released) and the outbox. Nothing when the conversation is not in handoff, or the same
    /// reply was already recorded (a redelivered queue message).
    /// </summary>
    public static TurnOutcome OnOperatorReply(ConversationState s, string replyId, string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (!s.Handoff || s.Transcript.Any(l => l.ReplyId == replyId))
        {
            return TurnOutcome.Nothing;
        }

        s.Transcript.Add(new TranscriptLine(now, "counsellor", text, null, replyId));
        return new TurnOutcome([new BotReply(text, []) { Id = replyId, Human = true }], null);
    }

    public static TurnOutcome OnRelease(ConversationState s, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (!s.Handoff)
        {
            return TurnOutcome.Nothing;
        }

        var report = s.HasContent ? CloseSession(s, "released", handoff: true, now) : null;
        s.Handoff = false;
        s.Step = Steps.Closed;
        return new TurnOutcome([], report);
    }

    private static TurnOutcome OnDangerAnswer(ConversationState s, string text, string key, string? payload, DateTimeOffset now)
    {
        if (payload == BotTexts.PayloadYes || IsAny(key, YesWords) || key == "1")
        {
            s.DangerConfirmed = true;
            var report = CloseSession(s, "danger", handoff: false, now);
            s.Step = Steps.AskWhat; // a follow-up session: anything more the child tells is still kept
            return Reply(s, now, report, BotReply.Say(BotTexts.DangerNow), BotReply.Say(BotTexts.OfferPerson, BotTexts.AfterDanger));
        }

        if (payload == BotTexts.PayloadNo || IsAny(key, NoWords) || key == "2")
        {
            var next = s.ResumeStep ?? Steps.AskWhat;
            s.ResumeStep = null;
            return Ask(s, next, now);
        }

        // Free text instead of yes/no: keep it, and treat danger words as a yes.
        Record(s, text, onlyIfNarrative: true);
        if (IsDangerous(text, payload))
        {
            return OnDangerAnswer(s, text, "co", BotTexts.PayloadYes, now);
        }

        if (s.Reprompts++ == 0)
        {
            return Reply(s, now, null, BotReply.Say(BotTexts.AskDangerAgain, BotTexts.DangerChoices));
        }

        var resume = s.ResumeStep ?? Steps.AskWhat;
        s.ResumeStep = null;
        return Ask(s, resume, now);
    }

    private static TurnOutcome OnWhat(ConversationState s, string text, string key, string? payload, DateTimeOffset now)
    {
        if (payload == BotTexts.PayloadContinue)
        {
            return Ask(s, Steps.AskWhat, now);
        }

        var chosen = Pick(BotTexts.WhatChoices, payload, key);
        if (chosen is { } category)
        {
            AddCategory(s, category);
        }
        else if (text.Length > 0)
        {
            Record(s, text, onlyIfNarrative: false);
            var triage = Triage.Assess(text);
            foreach (var code in triage.Categories)
            {
                AddCategory(s, code);
            }

            if (triage.Categories.Count == 0)
            {
                AddCategory(s, "OTHER");
            }
        }
        else if (s.Answers.Evidence.Count == 0)
        {
            return Reprompt(s, Steps.AskWhat, now);
        }

        return Ask(s, Steps.AskWho, now);
    }

    private static TurnOutcome OnWho(ConversationState s, string text, string key, string? payload, DateTimeOffset now)
    {
        var chosen = Pick(BotTexts.WhoChoices, payload, key);
        if (chosen is { } victim)
        {
            s.Answers.Victim = victim;
        }
        else if (ContainsAny(key, ["minh", "em", "toi", "con", "tao", "to"]) && !ContainsAny(key, ["ban cua", "ban em", "ban toi", "ban minh"]))
        {
            s.Answers.Victim = "self";
        }
        else if (ContainsAny(key, ["ban cua", "ban em", "ban toi", "ban minh", "ban than", "ban hoc", "ban cung lop"]))
        {
            s.Answers.Victim = "friend";
        }
        else if (text.Length > 0)
        {
            Record(s, text, onlyIfNarrative: true);
            s.Answers.Victim = "other";
        }
        else
        {
            return Reprompt(s, Steps.AskWho, now);
        }

        return Ask(s, Steps.AskAge, now);
    }

    private static TurnOutcome OnAge(ConversationState s, string text, string key, string? payload, DateTimeOffset now)
    {
        var chosen = Pick(BotTexts.AgeChoices, payload, key);
        if (chosen is { } band0)
        {
            s.Answers.AgeBand = band0;
        }
        else if (AgeFromText(key) is { } typed)
        {
            s.Answers.AgeBand = typed;
        }
        else if (s.Reprompts++ == 0)
        {
            return Reprompt(s, Steps.AskAge, now);
        }
        else
        {
            s.Answers.AgeBand = "unknown";
        }

        return Ask(s, Steps.AskWhere, now);
    }

    private static TurnOutcome OnWhere(ConversationState s, string text, string key, string? payload, DateTimeOffset now)
    {
        var chosen = Pick(BotTexts.WhereChoices, payload, key);
        if (chosen is { } code)
        {
            s.Answers.ProvinceCode = code.Length > 0 ? code : null;
            return Ask(s, Steps.AskEvidence, now);
        }

        if (Provinces.Find(text) is { } p)
        {
            s.Answers.ProvinceCode = p.Code;
            return Ask(s, Steps.AskEvidence, now);
        }

        if (IsAny(key, DoneWords) || s.Reprompts++ > 0)
        {
            return Ask(s, Steps.AskEvidence, now);
        }

        return Reply(s, now, null, BotReply.Say(BotTexts.AskWhereAgain, Choices(BotTexts.WhereChoices, x => x.Choice)));
    }

    private static TurnOutcome OnEvidence(ConversationState s, string text, string key, string? payload, IReadOnlyList<Evidence> evidence, int attachmentCount, DateTimeOffset now)
    {
        if (payload is BotTexts.PayloadDone or BotTexts.PayloadSkip || (attachmentCount == 0 && IsAny(key, DoneWords)))
        {
            return Complete(s, now);
        }

        var urls = Urls.Extract(text);
        if (attachmentCount > 0 || evidence.Count > 0 || urls.Count > 0)
        {
            AddUrls(s, urls);
            Record(s, text, onlyIfNarrative: true);

            return Reply(s, now, null, BotReply.Say(BotTexts.EvidenceReceived, BotTexts.EvidenceChoices[0]));
        }

        // More words rather than evidence: keep them in the description and keep waiting.
        Record(s, text, onlyIfNarrative: true);
        return Reply(s, now, null, BotReply.Say(BotTexts.EvidenceReceived, BotTexts.EvidenceChoices));
    }

    private static TurnOutcome OnAnythingElse(ConversationState s, string text, string key, string? payload, DateTimeOffset now)
    {
        if (payload == BotTexts.PayloadNo || IsAny(key, NoWords))
        {
            s.Step = Steps.Closed;
            return Reply(s, now, null, BotReply.Say(BotTexts.Goodbye));
        }

        s.Step = Steps.FollowUp;
        if (payload == BotTexts.PayloadYes || IsAny(key, YesWords))
        {
            return Reply(s, now, null, BotReply.Say(BotTexts.TellMore, BotTexts.EvidenceChoices[0]));
        }

        Record(s, text, onlyIfNarrative: false);
        return Reply(s, now, null, BotReply.Say(BotTexts.TellMore, BotTexts.EvidenceChoices[0]));
    }

    private static TurnOutcome OnFollowUp(ConversationState s, string text, string key, string? payload, IReadOnlyList<Evidence> evidence, int attachmentCount, DateTimeOffset now)
    {
        if (payload is BotTexts.PayloadDone or BotTexts.PayloadSkip || (attachmentCount == 0 && IsAny(key, DoneWords)))
        {
            if (!s.HasContent)
            {
                s.Step = Steps.Closed;
                return Reply(s, now, null, BotReply.Say(BotTexts.Goodbye));
            }

            var report = CloseSession(s, "completed", handoff: false, now);
            s.Step = Steps.Closed;
            return Reply(s, now, report, BotReply.Say(BotTexts.FollowUpSaved));
        }

        AddUrls(s, Urls.Extract(text));
        Record(s, text, onlyIfNarrative: false);
        foreach (var code in Triage.Assess(text).Categories)
        {
            AddCategory(s, code);
        }

        return evidence.Count > 0 || attachmentCount > 0
            ? Reply(s, now, null, BotReply.Say(BotTexts.EvidenceReceived, BotTexts.EvidenceChoices[0]))
            : TurnOutcome.Silent;
    }

    private static TurnOutcome Complete(ConversationState s, DateTimeOffset now)
    {
        var summary = Summarise(s.Answers);
        var report = CloseSession(s, "completed", handoff: false, now);
        s.Step = Steps.AnythingElse;
        return Reply(s, now, report, BotReply.Say(BotTexts.Summary.Replace("{summary}", summary, StringComparison.Ordinal)), BotReply.Say(BotTexts.AnythingElse, BotTexts.AnythingElseChoices));
    }

    private static TurnOutcome HandOff(ConversationState s, DateTimeOffset now)
    {
        var report = CloseSession(s, "handoff", handoff: true, now);
        s.Handoff = true;
        s.Step = Steps.HandedOff;
        return Reply(s, now, report, BotReply.Say(BotTexts.Handoff));
    }

    private static TurnOutcome Ask(ConversationState s, string step, DateTimeOffset now)
    {
        s.Step = step;
        s.Reprompts = 0;
        return Reply(s, now, null, Prompt(s, step));
    }

    private static TurnOutcome Reprompt(ConversationState s, string step, DateTimeOffset now)
    {
        s.Step = step;
        return Reply(s, now, null, BotReply.Say(BotTexts.NotUnderstood, Prompt(s, step).Choices.ToArray()));
    }

    private static BotReply Prompt(ConversationState s, string step) => step switch
    {
        Steps.AskWhat => BotReply.Say(BotTexts.AskWhat, [.. Choices(BotTexts.WhatChoices, x => x.Choice), BotTexts.Person]),
        Steps.AskWho => BotReply.Say(BotTexts.AskWho, Choices(BotTexts.WhoChoices, x => x.Choice)),
        Steps.AskAge => BotReply.Say(s.Answers.Victim == "self" ? BotTexts.AskAgeSelf : BotTexts.AskAgeOther, Choices(BotTexts.AgeChoices, x => x.Choice)),
        Steps.AskWhere => BotReply.Say(BotTexts.AskWhere, Choices(BotTexts.WhereChoices, x => x.Choice)),
        Steps.AskEvidence => BotReply.Say(BotTexts.AskEvidence, BotTexts.EvidenceChoices),
        _ => BotReply.Say(BotTexts.AskDanger, BotTexts.DangerChoices),
    };

    private static TurnOutcome Reply(ConversationState s, DateTimeOffset now, ReportRequest? report, params BotReply[] replies)
    {
        foreach (var r in replies)
        {
            s.Transcript.Add(new TranscriptLine(now, "bot", r.Text));
        }

        return new TurnOutcome(replies, report);
    }

    /// <summary>Snapshots the session as a report request and opens the next (follow-up) session.</summary>
    private static ReportRequest CloseSession(ConversationState s, string reason, bool handoff, DateTimeOffset now)
    {
        var answers = s.Answers;
        var description = string.Join("\n", answers.DescriptionParts);
        var triage = Triage.Assess(description);
        var urgency = triage.Urgency;
        var reasons = new List<string>(triage.Reasons) { "chat:" + reason };
        foreach (var code in answers.Categories)
        {
            urgency = Triage.Max(urgency, Categories.DefaultUrgency(code));
        }

        if (s.DangerConfirmed)
        {
            urgency = Urgencies.Immediate;
            reasons.Add("chat:danger-confirmed");
        }

        foreach (var code in triage.Categories)
        {
            if (!answers.Categories.Contains(code))
            {
                answers.Categories.Add(code);
            }
        }

        var request = new ReportRequest
        {
            Session = s.Session,
            Reason = reason,
            Urgency = urgency,
            Reasons = reasons,
            Handoff = handoff,
            Answers = answers,
            Transcript = [.. s.Transcript],
            FollowUpOf = s.LastReferenceCode,
        };

        // The next session starts now; what the child already told stays with the report just made.
        s.Session++;
        s.Answers = new SessionAnswers();
        s.Transcript = [];
        s.SessionStartedAt = now;
        s.ResumeStep = null;
        s.Reprompts = 0;
        return request;
    }

    private static void StartSession(ConversationState s, DateTimeOffset now)
    {
        if (s.Step == Steps.New)
        {
            s.Session = Math.Max(s.Session, 1);
        }
        else
        {
            s.Session++;
            s.Answers = new SessionAnswers();
            s.Transcript = [];
        }

        s.SessionStartedAt = now;
        s.DangerConfirmed = false;
        s.ResumeStep = null;
        s.Reprompts = 0;
    }

    private static bool IsDangerous(string text, string? payload) =>
        payload == "CAT:WELLBEING.SELF_HARM" || Triage.Assess(text).Urgency == Urgencies.Immediate;

    private static string Summarise(SessionAnswers a)
    {
        var parts = new List<string>();
        var names = a.Categories.Where(c => c != "OTHER").Select(c => Categories.All.TryGetValue(c, out var n) ? n.ToLowerInvariant() : c).ToList();
        parts.Add(names.Count > 0 ? string.Join(", ", names) : "chuyện bạn kể");
        if (Provinces.ByCodeOrNull(a.ProvinceCode) is { } p)
        {
            parts.Add("ở " + p.Name);
        }

        var items = a.Evidence.Count + a.Urls.Count;
        if (items > 0)
        {
            parts.Add($"{items} bằng chứng");
        }

        return string.Join(", ", parts);
    }

    private static void Record(ConversationState s, string text, bool onlyIfNarrative)
    {
        if (text.Length == 0 || (onlyIfNarrative && text.Length < 12))
        {
            return;
        }

        var used = s.Answers.DescriptionParts.Sum(p => p.Length + 1);
        if (used >= MaxDescriptionChars)
        {
            return; // the transcript blob still holds every word
        }

        s.Answers.DescriptionParts.Add(text.Length + used > MaxDescriptionChars ? text[..(MaxDescriptionChars - used)] : text);
        AddUrls(s, Urls.Extract(text));
    }

    private static void AddCategory(ConversationState s, string code)
    {
        if (!s.Answers.Categories.Contains(code))
        {
            s.Answers.Categories.Add(code);
        }

        if (code != "OTHER")
        {
            s.Answers.Categories.Remove("OTHER");
        }
    }

    private static void AddUrls(ConversationState s, IEnumerable<string> urls)
    {
        foreach (var u in urls)
        {
            if (!s.Answers.Urls.Contains(u) && s.Answers.Urls.Count < Urls.MaxPerReport)
            {
                s.Answers.Urls.Add(u);
            }
        }
    }

    private static void Remember(ConversationState s, string id)
    {
        s.RecentActivityIds.Add(id);
        if (s.RecentActivityIds.Count > MaxRecentIds)
        {
            s.RecentActivityIds.RemoveAt(0);
        }
    }

    private static string? AgeFromText(string key)
    {
        foreach (var word in key.Split(' '))
        {
            if (int.TryParse(word, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var age) && age is > 3 and < 100)
            {
                return age switch { < 10 => "under-10", <= 13 => "10-13", <= 15 => "14-15", <= 17 => "16-17", _ => "adult" };
            }
        }

        return ContainsAny(key, ["khong muon noi", "bi mat"]) ? "unknown" : null;
    }

    /// <summary>A choice's value by its payload, its title typed out (accents optional) or its number in the list.</summary>
    private static string? Pick((Choice Choice, string Value)[] items, string? payload, string key)
    {
        for (var i = 0; i < items.Length; i++)
        {
            var c = items[i].Choice;
            if ((payload is not null && payload == c.Payload) || key == Provinces.Key(c.Title) || key == (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                return items[i].Value;
            }
        }

        return null;
    }

    private static Choice[] Choices<T>(T[] items, Func<T, Choice> choice) => items.Select(choice).ToArray();

    private static bool IsGreeting(string key) => key.Length == 0 || IsAny(key, GreetingWords);

    private static bool IsAny(string key, string[] words) => Array.IndexOf(words, key) >= 0;

    private static bool ContainsAny(string key, string[] phrases)
    {
        var padded = " " + key + " ";
        return phrases.Any(p => padded.Contains(" " + p + " ", StringComparison.Ordinal));
    }
}
