using Hub.Core.Envelope;

namespace Hub.Bots.Dialog;

/// <summary>The steps of the intake flow (issue 3, "The conversation").</summary>
public static class Steps
{
    public const string New = "new";
    public const string AskDanger = "ask-danger";
    public const string AskWhat = "ask-what";
    public const string AskWho = "ask-who";
    public const string AskAge = "ask-age";
    public const string AskWhere = "ask-where";
    public const string AskEvidence = "ask-evidence";
    public const string AnythingElse = "anything-else";
    public const string FollowUp = "follow-up";
    public const string HandedOff = "handed-off";
    public const string Closed = "closed";
}

/// <summary>
/// One conversation's state, persisted (encrypted) in the <c>conversations</c> table with ETag concurrency.
/// A <em>session</em> is the part of a conversation that becomes one report; a danger report, a handoff or a
/// completed summary closes it, and anything said afterwards opens a follow-up session linked to it.
/// </summary>
public sealed class ConversationState
{
    public string Step { get; set; } = Steps.New;

    /// <summary>Numbers the sessions of this conversation; the report of session n has provider id <c>{conversation}/s{n}</c>.</summary>
    public int Session { get; set; }

    /// <summary>Where to continue after a danger question that interrupted another step.</summary>
    public string? ResumeStep { get; set; }

    public int Reprompts { get; set; }

    public bool DangerConfirmed { get; set; }

    /// <summary>An operator owns the conversation: the bot records what the child writes and stays silent.</summary>
    public bool Handoff { get; set; }

    public SessionAnswers Answers { get; set; } = new();

    public List<TranscriptLine> Transcript { get; set; } = [];

    public DateTimeOffset? SessionStartedAt { get; set; }

    public DateTimeOffset? LastUserMessageAt { get; set; }

    /// <summary>The reference code of the last report this conversation produced (the next one follows up on it).</summary>
    public string? LastReferenceCode { get; set; }

    /// <summary>Ids of the most recent activities handled: a redelivered webhook or queue message is a no-op.</summary>
    public List<string> RecentActivityIds { get; set; } = [];

    /// <summary>Replies decided but not yet confirmed sent (an outbox: sent again if the sender failed after commit).</summary>
    public List<BotReply> Outbox { get; set; } = [];

    /// <summary>Counsellors' replies that could not be delivered (the provider's window closed before they went out).</summary>
    public List<string> Undelivered { get; set; } = [];

    /// <summary>One turn at a time sends the outbox: it holds this lease (a crashed sender's lease simply expires).</summary>
    public DateTimeOffset? FlushLeaseUntil { get; set; }

    /// <summary>True when the current session holds something the child said or sent.</summary>
    public bool HasContent => Answers.DescriptionParts.Count > 0 || Answers.Evidence.Count > 0 || Answers.Categories.Count > 0 || Answers.Urls.Count > 0;
}

public sealed class SessionAnswers
{
    public List<string> Categories { get; set; } = [];

    public List<string> DescriptionParts { get; set; } = [];

    public string? Victim { get; set; }

    public string? AgeBand { get; set; }

    public string? ProvinceCode { get; set; }

    public List<string> Urls { get; set; } = [];

    public List<Evidence> Evidence { get; set; } = [];
}

/// <summary>One line of a conversation. <see cref="ReplyId"/> names a counsellor's reply (its delivery is read from the outbox).</summary>
public sealed record TranscriptLine(DateTimeOffset At, string From, string Text, IReadOnlyList<string>? Attachments = null, string? ReplyId = null);

/// <summary>A quick reply: its title (≤ 20 characters, Messenger's limit) and the payload it sends back.</summary>
public sealed record Choice(string Title, string Payload);

/// <summary>One message the bot sends; <c>{code}</c> in the text is replaced by the report's reference code.</summary>
public sealed record BotReply(string Text, IReadOnlyList<Choice> Choices)
{
    public const string CodePlaceholder = "{code}";

    /// <summary>Set when the reply enters the outbox, so a sent reply is removed exactly once.</summary>
    public string? Id { get; init; }

    /// <summary>A person's reply (a counsellor after a handoff), not the bot's: the provider's human-agent window applies.</summary>
    public bool Human { get; init; }

    public static BotReply Say(string text, params Choice[] choices) => new(text, choices);
}

/// <summary>What a turn asks the host to emit as a report (a closed session).</summary>
public sealed record ReportRequest
{
    public required int Session { get; init; }

    /// <summary><c>completed</c>, <c>danger</c>, <c>handoff</c>, <c>idle</c>, <c>released</c>.</summary>
    public required string Reason { get; init; }

    public required string Urgency { get; init; }

    public required IReadOnlyList<string> Reasons { get; init; }

    public bool Handoff { get; init; }

    public required SessionAnswers Answers { get; init; }

    public required IReadOnlyList<TranscriptLine> Transcript { get; init; }

    public string? FollowUpOf { get; init; }

    public string Description => string.Join("\n", Answers.DescriptionParts);
}

public sealed record TurnOutcome(IReadOnlyList<BotReply> Replies, ReportRequest? Report)
{
    /// <summary>Nothing happened (a duplicate, a stale timer): the state need not be saved.</summary>
    public static readonly TurnOutcome Nothing = new([], null) { StateChanged = false };

    /// <summary>The state changed (something was recorded) but the bot says nothing.</summary>
    public static readonly TurnOutcome Silent = new([], null);

    public bool StateChanged { get; init; } = true;
}
