using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Core.Privacy;
using Hub.Functions.Cases;
using Hub.Functions.Channels.SmsOutbound;
using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Hub.Functions.ConsoleApi;

/// <summary>What the console API's handlers use, bound per request (<c>[AsParameters]</c>).</summary>
public sealed record ConsoleServices(CaseService Cases, People People, PrivacyServices Privacy, HubStorage Storage, TimeProvider Time, CaseChangeSignal Signal, IOptions<AuthOptions> Options, ILogger<CaseService> Logger, SmsOutbox Sms);

/// <summary>
/// <c>/api/console/v1</c>: the operator API the console and agencies' systems use (docs/console-api.md). Every
/// endpoint has a row in <see cref="ConsoleAccess.Rules"/>; every change needs <c>If-Match</c> with the case's ETag.
/// </summary>
public static partial class ConsoleApi
{
    public const string Prefix = "/api/console/v1";
    public const string FunctionName = "ConsoleApi";

    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        // On Azure one function carries the whole API to the app (FunctionApp/ConsoleApi: api/console/v1/{*path}).
        var api = app.MapGroup(Prefix).RequireConsoleAccess().WithTags("console").WithMetadata(new FunctionMetadata(FunctionName));
        api.MapGet("/me", Me).WithName("console.me");
        api.MapGet("/teams", TeamsAsync).WithName("console.teams");
        api.MapGet("/cases", ListAsync).WithName("console.cases.list");
        api.MapGet("/cases/{id}", GetAsync).WithName("console.cases.get");
        api.MapPost("/cases/{id}/claim", (string id, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.ClaimAsync(Actor(h), v, h.RequestAborted))).WithName("console.cases.claim");
        api.MapPost("/cases/{id}/assign", (string id, AssignRequest body, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.AssignAsync(Actor(h), v, body.Login ?? string.Empty, body.Reason, h.RequestAborted))).WithName("console.cases.assign");
        api.MapPost("/cases/{id}/release", (string id, ReasonRequest body, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.ReleaseAsync(Actor(h), v, body.Reason ?? string.Empty, h.RequestAborted))).WithName("console.cases.release");
        api.MapPost("/cases/{id}/transfer", (string id, TransferRequest body, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.RequestTransferAsync(Actor(h), v, body.Team ?? string.Empty, body.Reason ?? string.Empty, h.RequestAborted))).WithName("console.cases.transfer");
        api.MapPost("/cases/{id}/accept-transfer", (string id, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.AcceptTransferAsync(Actor(h), v, h.RequestAborted))).WithName("console.cases.accept-transfer");
        api.MapPost("/cases/{id}/reject-transfer", (string id, ReasonRequest body, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.RejectTransferAsync(Actor(h), v, body.Reason ?? string.Empty, h.RequestAborted))).WithName("console.cases.reject-transfer");
        api.MapPost("/cases/{id}/close", CloseAsync).WithName("console.cases.close");
        api.MapPost("/cases/{id}/reopen", (string id, ReasonRequest body, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.ReopenAsync(Actor(h), v, body.Reason ?? string.Empty, h.RequestAborted))).WithName("console.cases.reopen");
        api.MapPost("/cases/{id}/notes", NoteAsync).WithName("console.cases.notes");
        api.MapPost("/cases/{id}/links", (string id, LinkRequest body, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.LinkAsync(Actor(h), v, body.OtherCase ?? string.Empty, body.Kind ?? string.Empty, body.Reason ?? string.Empty, h.RequestAborted))).WithName("console.cases.links");
        api.MapGet("/cases/{id}/transcript", (string id, HttpContext h, [AsParameters] ConsoleServices s) => ProtectedAsync(h, s, id, ProtectedKind.Transcript, 1)).WithName("console.cases.transcript");
        api.MapGet("/cases/{id}/recordings/{n:int}", (string id, int n, HttpContext h, [AsParameters] ConsoleServices s) => ProtectedAsync(h, s, id, ProtectedKind.Recording, n)).WithName("console.cases.recording");
        api.MapGet("/cases/{id}/evidence/{n:int}", (string id, int n, HttpContext h, [AsParameters] ConsoleServices s) => ProtectedAsync(h, s, id, ProtectedKind.Evidence, n)).WithName("console.cases.evidence");
        api.MapPost("/cases/{id}/reveal-contact", RevealContactAsync).WithName("console.cases.reveal-contact");
        api.MapGet("/cases/{id}/audit", AuditAsync).WithName("console.cases.audit");
        api.MapGet("/overdue", OverdueAsync).WithName("console.overdue");
        api.MapGet("/events", EventsAsync).WithName("console.events");
        api.MapPost("/cases/{id}/evidence/{n:int}/confirm", ConfirmMaterialAsync).WithName("console.cases.evidence.confirm");
        api.MapPost("/cases/{id}/known-material/{entry:long}/votes", async (string id, long entry, VoteRequest body, HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            await s.Cases.VoteOnMatchAsync(Actor(h), id, entry, body.Verdict switch { "true-positive" => true, "false-positive" => false, _ => throw new CaseOperationException(CaseProblem.Invalid, "a verdict is true-positive or false-positive") }, body.Reason, h.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("console.cases.known-material.vote");
        api.MapPost("/cases/{id}/takedowns", async (string id, TakedownRequestBody body, HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            var (record, error) = await RequestTakedownAsync(Actor(h), id, body.Report, body.Reason, s.Cases, h.RequestServices.GetRequiredService<Platform.Takedowns>(), h.RequestAborted);
            return record is null
                ? Results.Problem(title: "Conflict", detail: error, statusCode: StatusCodes.Status409Conflict)
                : TypedResults.Accepted($"{Prefix}/cases/{id}", record);
        }).WithName("console.cases.takedown");
        api.MapPost("/cases/{id}/classify", (string id, ClassifyRequest body, HttpContext h, [AsParameters] ConsoleServices s) => Change(h, id, v => s.Cases.ClassifyAsync(Actor(h), v, body.Categories, body.Urgency, body.Province, body.Reason ?? string.Empty, h.RequestAborted))).WithName("console.cases.classify");
        api.MapGet("/taxonomy", Taxonomy).WithName("console.taxonomy");
        api.MapGet("/queue/summary", async (HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            h.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(await SummaryAsync(Actor(h), s, h.RequestAborted));
        }).WithName("console.queue.summary");
        api.MapGet("/cases/{id}/related", async (string id, HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            var now = s.Time.GetUtcNow();
            return TypedResults.Ok((await s.Cases.RelatedAsync(Actor(h), id, h.RequestAborted)).Select(r => Row(r, now)).ToList());
        }).WithName("console.cases.related");
        api.MapGet("/callbacks", async (HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            h.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(await s.Cases.OpenCallbacksAsync(Actor(h), h.RequestAborted));
        }).WithName("console.callbacks");
        api.MapPost("/callbacks/{taskId:long}/reveal", async (long taskId, HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            var number = await s.Cases.RevealCallbackNumberAsync(Actor(h), taskId, c => s.Privacy.Cipher.Unprotect(c, PrivacyServices.ContactPurpose), h.RequestAborted);
            h.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(new ContactResponse(number));
        }).WithName("console.callbacks.reveal");
        api.MapPost("/callbacks/{taskId:long}/done", async (long taskId, CallbackDone body, HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            await s.Cases.CompleteCallbackAsync(Actor(h), taskId, body.Outcome ?? string.Empty, h.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("console.callbacks.done");
        api.MapPost("/cases/{id}/sms/replies", async (string id, SmsReplyRequest body, HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            var queued = await s.Sms.QueueAsync(Actor(h), id, body.Text, h.RequestAborted);
            return queued.ReplyId is { } replyId
                ? Results.Accepted($"{Prefix}/cases/{id}", new SmsReplyAccepted(replyId, SmsReplyStates.Queued))
                : queued.Invalid
                    ? Problems.BadRequest($"a reply is 1–1,600 characters and at most {s.Sms.MaxSegments} SMS segments")
                    : Results.Problem(title: "Cannot reply by SMS", detail: queued.Why, statusCode: StatusCodes.Status409Conflict);
        }).WithName("console.cases.sms.reply");
        api.MapConversationApi();
        api.MapPeopleApi();
        api.MapReferralApi();
        return app;
    }

    // ---- requests and responses ----

    public sealed record Changed(int Version);

    public sealed record NoteCreated(long Id, int Version);

    public sealed record AssignRequest(string? Login, string? Reason);

    public sealed record ReasonRequest(string? Reason);

    /// <summary>A takedown request for one of the case's platform reports (its URLs), and why.</summary>
    public sealed record TakedownRequestBody(string? Report, string? Reason);

    /// <summary>A hash curator's confirmation: the item's industry classification (csam-a1, csam-a2, csam-b1, csam-b2).</summary>
    public sealed record ConfirmRequest(string? Classification);

    public sealed record ConfirmedEntry(string Type, long Entry);

    public sealed record ConfirmResponse(string Bank, string Classification, IReadOnlyList<ConfirmedEntry> Entries, int Version);

    /// <summary>A hash curator's verdict on a case's match: true-positive or false-positive, and why.</summary>
    public sealed record VoteRequest(string? Verdict, string? Reason);

    public sealed record TransferRequest(string? Team, string? Reason);

    public sealed record CloseRequest(string? Reason, string? Note);

    public sealed record NoteRequest(string? Body, long? Corrects);

    public sealed record LinkRequest(string? OtherCase, string? Kind, string? Reason);

    public sealed record ClassifyRequest(IReadOnlyList<string>? Categories, string? Urgency, string? Province, string? Reason);

    public sealed record ContactResponse(string Contact);

    public sealed record CallbackDone(string? Outcome);

    public sealed record SmsReplyRequest(string? Text);

    public sealed record SmsReplyAccepted(string ReplyId, string Status);

    // ---- handlers ----

    private static Actor Actor(HttpContext context) => SignIn.ActorOf(context) ?? throw new InvalidOperationException("ConsoleAccess runs first");

    /// <summary>The signed-in user, from what the session check already read for this request (no second query).</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.Ok<MeResponse> Me(HttpContext context) => TypedResults.Ok(MeOf(context));

    internal static MeResponse MeOf(HttpContext context)
    {
        var actor = Actor(context);
        return new MeResponse(actor.Login, SignIn.UserOf(context)?.DisplayName, [.. actor.Roles.Order(StringComparer.Ordinal)], [.. actor.Teams.Order(StringComparer.Ordinal)], CaseService.SeesAll(actor) && !actor.Has(Roles.Admin));
    }

    /// <summary>What the console's pickers offer: the taxonomy and the 34 provinces in Vietnamese, urgencies, close reasons.</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.Ok<TaxonomyResponse> Taxonomy() => TypedResults.Ok(new TaxonomyResponse(
        [.. Hub.Core.Taxonomy.Categories.All.Select(kv => new Named(kv.Key, kv.Value))],
        [.. Hub.Core.Taxonomy.Provinces.All.Select(p => new Named(p.Code, p.Name))],
        [Urgencies.Immediate, Urgencies.High, Urgencies.Normal, Urgencies.Low],
        [.. Enum.GetValues<CloseReason>().Select(CaseLifecycle.Name)]));

    private static async Task<IResult> TeamsAsync(HttpContext context, People people) => TypedResults.Ok(await people.ListTeamsAsync(context.RequestAborted));

    private static async Task<IResult> ListAsync(
        HttpContext context,
        [AsParameters] ConsoleServices s,
        string? status,
        string? urgency,
        string? team,
        string? province,
        string? channel,
        string? category,
        string? owner,
        bool? overdue,
        string? q,
        string? cursor,
        int? limit)
    {
        var actor = Actor(context);
        var statuses = new List<CaseStatus>();
        foreach (var name in (status ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!CaseLifecycle.TryParseStatus(name, out var st))
            {
                return Problems.BadRequest($"status is one or more of new, open, referred, closed, reopened (comma-separated), not '{name}'");
            }

            statuses.Add(st);
        }

        if (urgency is not null && urgency is not (Urgencies.Immediate or Urgencies.High or Urgencies.Normal or Urgencies.Low))
        {
            return Problems.BadRequest("urgency is immediate, high, normal or low");
        }

        long? ownerId = null;
        if (owner is "me")
        {
            ownerId = actor.UserId;
        }
        else if (owner is not null)
        {
            ownerId = (await s.People.FindUserAsync(owner, context.RequestAborted))?.Id ?? -1;
        }

        CaseSearch? search = null;
        if (!string.IsNullOrWhiteSpace(q))
        {
            search = Search(q.Trim(), s.Privacy);
            if (search is null)
            {
                return Problems.BadRequest("q is a reference code (XXXX-XXXX), a URL (https://…) or a phone number");
            }
        }

        var page = Math.Clamp(limit ?? 50, 1, 200);
        var rows = await s.Cases.ListAsync(actor, new CaseQuery
        {
            Statuses = statuses,
            Urgency = urgency,
            Team = team,
            Province = province,
            Channel = channel,
            Category = category,
            OwnerId = ownerId,
            OverdueOnly = overdue == true,
            Search = search,
            After = cursor,
            Limit = page,
        }, context.RequestAborted);
        var now = s.Time.GetUtcNow();
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new CaseListPage([.. rows.Select(r => Row(r, now))], rows.Count == page ? CaseService.Cursor(rows[^1]) : null));
    }

    /// <summary>What <c>q</c> is: a reference code (typing-tolerant), a URL, or a phone number matched by its pseudonym (never stored or logged in clear).</summary>
    public static CaseSearch? Search(string q, PrivacyServices privacy)
    {
        ArgumentNullException.ThrowIfNull(privacy);
        if (ReferenceCode.Parse(q) is { } code)
        {
            return new CaseSearch(CaseSearchKind.ReferenceCode, code);
        }

        if (Uri.TryCreate(q, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return new CaseSearch(CaseSearchKind.Url, q);
        }

        var number = Msisdn.Normalize(q);
        return number.StartsWith('+') && number.Length is >= 9 and <= 16
            ? new CaseSearch(CaseSearchKind.Pseudonym, privacy.Pseudonymizer.For(Pseudonymizer.PhoneKind, number))
            : null;
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, [AsParameters] ConsoleServices s)
    {
        var view = await ViewAsync(Actor(context), id, s, context.RequestAborted);
        context.Response.Headers.ETag = ETag(view.Case.Version);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(view);
    }

    /// <summary>A case's detail as the API answers it and the console's case page shows it (an audited read).</summary>
    internal static async Task<CaseView> ViewAsync(Actor actor, string id, ConsoleServices s, CancellationToken ct)
    {
        var d = await s.Cases.GetDetailAsync(actor, id, ct);
        var now = s.Time.GetUtcNow();
        var read = d.Reports.Select(r => (r.Id, Envelope: CaseService.ReadEnvelope(r.Envelope))).ToList();
        var unreadable = read.Where(r => r.Envelope is null).Select(r => r.Id).ToList();
        foreach (var report in unreadable)
        {
            LogUnreadable(s.Logger, report);
        }

        var reports = read.Where(r => r.Envelope is not null).Select(r => (r.Id, Envelope: r.Envelope!)).ToList();
        return new CaseView(
            Row(d.Summary, now),
            d.CloseReason,
            [.. reports.Select(r => new ReportRow(r.Id, r.Envelope.ReferenceCode, r.Envelope.ReceivedAt, r.Envelope.Channel, r.Envelope.ChannelInstance, r.Envelope.Reporter.Role, r.Envelope.Reporter.AgeBand,
                r.Envelope.Reporter.Anonymous, r.Envelope.Reporter.ContactRef is not null, r.Envelope.Incident, r.Envelope.Location?.ProvinceCode, r.Envelope.Signals.Urgency, r.Envelope.Signals.Reasons, r.Envelope.Signals.Handoff))],
            [.. CaseService.NumberEvidence(reports).Select(e => new EvidenceRow(e.Index, e.ReportId, e.Evidence.Kind, e.Evidence.ContentType, e.Evidence.Size, e.Evidence.Sha256, e.Evidence.Error, e.Evidence.HeldBy, e.Evidence.SourceUrl, e.Evidence.Tags))],
            d.History,
            d.Notes,
            d.Links,
            d.Callbacks,
            d.EarlierReportsBySameReporter,
            d.EarlierCasesBySameReporter,
            d.UserNames.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value, StringComparer.Ordinal),
            [.. CaseLifecycle.AllowedFrom(d.Summary.Status).Select(CaseLifecycle.Name)],
            unreadable,
            await SmsThreadAsync(actor, Row(d.Summary, now), reports, d.SmsReplies, s, ct),
            d.Routing,
            [.. d.Referrals.Select(f => ReferralApi.View(f, now))],
            d.KnownMaterial);
    }

    /// <summary>An SMS case's replies and whether this user can send one now; null for a case with no SMS report.</summary>
    private static async Task<SmsThread?> SmsThreadAsync(Actor actor, CaseRow c, List<(string Id, ReportEnvelope Envelope)> reports, IReadOnlyList<SmsReplyRow> replies, ConsoleServices s, CancellationToken ct)
    {
        if (!reports.Any(r => r.Envelope.Channel == ReportChannels.Sms) && replies.Count == 0)
        {
            return null;
        }

        var last = reports.LastOrDefault(r => r.Envelope.Channel == ReportChannels.Sms && r.Envelope.Reporter.ContactRef is not null);
        var to = last.Envelope is { } e ? new SmsTarget(last.Id, e.ChannelInstance, e.Source.ProviderAccount, e.Reporter.Pseudonym, e.Reporter.ContactRef!) : null;
        var why = await s.Sms.WhyNotAsync(actor, c, to, ct);
        return new SmsThread(why is null, why, s.Sms.MaxSegments,
            [.. replies.Select(r => new SmsReplyView(r.Id, r.CreatedAt, r.AuthorId, r.Body, r.Segments, r.Status, r.Attempts, r.Error, r.UpdatedAt))]);
    }

    /// <summary>The queue's head (GET /queue/summary): a tile per channel and the chats waiting for a person, in the actor's scope.</summary>
    internal static async Task<QueueSummary> SummaryAsync(Actor actor, ConsoleServices s, CancellationToken ct)
    {
        var byChannel = await s.Cases.WaitingByChannelAsync(actor, ct);
        var chats = await s.Cases.WaitingChatsAsync(actor, 50, ct);
        var now = s.Time.GetUtcNow();
        var known = ChannelNames.All;
        return new QueueSummary(
            [.. known.Select(c => byChannel.FirstOrDefault(b => b.Channel == c) is { Channel: not null } b ? new ChannelTile(c, b.Waiting, b.Oldest) : new ChannelTile(c, 0, null)),
             .. byChannel.Where(b => !known.Contains(b.Channel)).Select(b => new ChannelTile(b.Channel, b.Waiting, b.Oldest))],
            [.. chats.Select(c => new WaitingChat(Row(c.Case, now), c.Since))]);
    }

    private static Task<IResult> CloseAsync(string id, CloseRequest body, HttpContext context, [AsParameters] ConsoleServices s) =>
        !CaseLifecycle.TryParseCloseReason(body.Reason, out var reason)
            ? Task.FromResult(Problems.BadRequest("reason is one of resolved, referred-and-done, no-contact-possible, not-child-protection, duplicate, prank, other"))
            : Change(context, id, v => s.Cases.CloseAsync(Actor(context), v, reason, body.Note, context.RequestAborted));

    private static async Task<IResult> NoteAsync(string id, NoteRequest body, HttpContext context, [AsParameters] ConsoleServices s)
    {
        if (IfMatch(context, id) is not { } target)
        {
            return PreconditionRequired();
        }

        var added = await s.Cases.AddNoteAsync(Actor(context), target, body.Body ?? string.Empty, body.Corrects, context.RequestAborted);
        context.Response.Headers.ETag = ETag(added.Version);
        return TypedResults.Created($"{Prefix}/cases/{id}", new NoteCreated(added.Id, added.Version));
    }

    /// <summary>The takedown request as the console makes it: checked and audited on the case, then queued to the platform.</summary>
    internal static async Task<(Hub.Core.Platform.TakedownRecord? Record, string? Error)> RequestTakedownAsync(Actor actor, string id, string? report, string? reason, CaseService cases, Platform.Takedowns takedowns, CancellationToken ct)
    {
        var platform = await cases.AuthorizeTakedownAsync(actor, id, report, ct);
        var why = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim()[..Math.Min(reason.Trim().Length, 500)];
        return await takedowns.RequestAsync(platform, report!, [], why, ct);
    }

    private static async Task<IResult> ConfirmMaterialAsync(string id, int n, ConfirmRequest body, HttpContext context, [AsParameters] ConsoleServices s)
    {
        if (IfMatch(context, id) is not { } target)
        {
            return PreconditionRequired();
        }

        var confirmed = await s.Cases.ConfirmKnownMaterialAsync(Actor(context), target, n, body.Classification, context.RequestAborted);
        await context.RequestServices.GetRequiredService<Hashing.HashMatcher>().RefreshAsync(context.RequestAborted); // new reports match it here at once
        context.Response.Headers.ETag = ETag(confirmed.Version);
        return TypedResults.Ok(new ConfirmResponse(confirmed.Bank, confirmed.Classification, [.. confirmed.Entries.Select(e => new ConfirmedEntry(e.Type, e.Entry))], confirmed.Version));
    }

    private static async Task<IResult> RevealContactAsync(string id, HttpContext context, [AsParameters] ConsoleServices s)
    {
        var contact = await s.Cases.RevealContactAsync(Actor(context), id, c => s.Privacy.Cipher.Unprotect(c, PrivacyServices.ContactPurpose), context.RequestAborted);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new ContactResponse(contact));
    }

    private static async Task<IResult> AuditAsync(string id, HttpContext context, [AsParameters] ConsoleServices s)
    {
        var rows = await s.Cases.AuditOfAsync(Actor(context), id, context.RequestAborted);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(rows.Select(a => new { a.Id, a.At, a.UserId, a.Action, a.CaseId, a.Fields, a.Source }));
    }

    private static async Task<IResult> OverdueAsync(HttpContext context, [AsParameters] ConsoleServices s, string? team) =>
        TypedResults.Ok(await OverdueViewAsync(Actor(context), s, team, context.RequestAborted));

    /// <summary>The cases past a clock in the actor's scope and the counts per team and urgency (GET /overdue and the supervisor's page).</summary>
    internal static async Task<OverdueResponse> OverdueViewAsync(Actor actor, ConsoleServices s, string? team, CancellationToken ct)
    {
        var rows = await s.Cases.OverdueAsync(actor, team, 500, ct);
        var counts = (await s.Cases.OverdueByTeamAsync(ct)).Where(c => CaseService.SeesAll(actor) || actor.In(c.TeamId)).ToList();
        var now = s.Time.GetUtcNow();
        return new OverdueResponse([.. rows.Select(r => Row(r, now))], counts);
    }

    /// <summary>Long-poll: answers at once when something changed since <paramref name="after"/>, else waits up to 25 s for a change.</summary>
    private static async Task<IResult> EventsAsync(HttpContext context, [AsParameters] ConsoleServices s, string? after)
    {
        var actor = Actor(context);
        context.Response.Headers.CacheControl = "no-store";
        var changes = await s.Cases.ChangesAsync(actor, after, 200, context.RequestAborted);
        if (after is null)
        {
            return TypedResults.Ok(new EventsResponse(changes.Cursor, [], false));
        }

        var deadline = s.Time.GetUtcNow() + s.Options.Value.EventsWait;
        while (changes.Cases.Count == 0 && s.Time.GetUtcNow() < deadline && !context.RequestAborted.IsCancellationRequested)
        {
            var left = deadline - s.Time.GetUtcNow();
            await s.Signal.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, context.RequestAborted);
            if (context.RequestAborted.IsCancellationRequested)
            {
                break;
            }

            changes = await s.Cases.ChangesAsync(actor, changes.Cursor, 200, context.RequestAborted);
        }

        var now = s.Time.GetUtcNow();
        return TypedResults.Ok(new EventsResponse(changes.Cursor, [.. changes.Cases.Select(r => Row(r, now))], changes.More));
    }

    /// <summary>
    /// Serves one protected item: the read is in the audit trail (committed) before a byte is fetched; the stored
    /// ciphertext is decrypted on the way out and its SHA-256 checked against the one recorded at intake — a
    /// mismatch is served to nobody.
    /// </summary>
    private static Task<IResult> ProtectedAsync(HttpContext context, ConsoleServices s, string id, ProtectedKind kind, int n) =>
        ServeProtectedAsync(context, s, () => s.Cases.OpenProtectedAsync(Actor(context), id, kind, n, context.RequestAborted), kind);

    /// <summary>Serves one protected item opened (and audited) by <paramref name="open"/>: never cached, sandboxed, with its digest.</summary>
    internal static async Task<IResult> ServeProtectedAsync(HttpContext context, ConsoleServices s, Func<Task<EvidenceItem>> open, ProtectedKind kind)
    {
        var read = await ReadProtectedAsync(s, open, context.RequestAborted);
        if (read.Problem is { } problem)
        {
            return problem;
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        context.Response.Headers["Digest"] = "sha-256=" + Convert.ToBase64String(Convert.FromHexString(read.Sha256!));
        return TypedResults.File(read.Bytes!, SafeContentType(read.ContentType), $"{kind.ToString().ToLowerInvariant()}-{read.Index.ToString(CultureInfo.InvariantCulture)}{Extension(read.ContentType)}");
    }

    /// <summary>One protected item read for a person: its bytes, or the problem to answer instead.</summary>
    internal sealed record ProtectedRead(int Index, byte[]? Bytes, string? ContentType, string? Sha256, IResult? Problem);

    /// <summary>
    /// Reads one protected item: the read is in the audit trail (committed) before a byte is fetched; the stored
    /// ciphertext is decrypted and its SHA-256 checked against the one recorded at intake — a mismatch is served to nobody.
    /// </summary>
    internal static Task<ProtectedRead> ReadProtectedAsync(Actor actor, ConsoleServices s, string id, ProtectedKind kind, int n, CancellationToken ct) =>
        ReadProtectedAsync(s, () => s.Cases.OpenProtectedAsync(actor, id, kind, n, ct), ct);

    internal static async Task<ProtectedRead> ReadProtectedAsync(ConsoleServices s, Func<Task<EvidenceItem>> open, CancellationToken ct)
    {
        var item = await open();
        var (container, name) = SplitBlob(item.Evidence.Blob!);
        byte[] plain;
        try
        {
            var download = await s.Storage.Container(container).GetBlobClient(name).DownloadContentAsync(ct);
            plain = s.Privacy.Cipher.DecryptBlob(download.Value.Content.ToMemory().Span, $"{container}/{name}");
        }
        catch (RequestFailedException ex) when (ex.Status == StatusCodes.Status404NotFound)
        {
            return new ProtectedRead(item.Index, null, null, null, Problems.NotFound("the stored content is gone (deleted under the retention policy, or never stored)"));
        }
        catch (CryptographicException)
        {
            LogIntegrity(s.Logger, item.Index);
            return new ProtectedRead(item.Index, null, null, null, Results.Problem(title: "Integrity check failed", detail: "The stored content failed its integrity check and is not served. The incident is logged.", statusCode: StatusCodes.Status500InternalServerError));
        }

        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(plain)), item.Evidence.Sha256, StringComparison.Ordinal))
        {
            LogIntegrity(s.Logger, item.Index);
            return new ProtectedRead(item.Index, null, null, null, Results.Problem(title: "Integrity check failed", detail: "The stored content does not match its recorded SHA-256 and is not served. The incident is logged.", statusCode: StatusCodes.Status500InternalServerError));
        }

        return new ProtectedRead(item.Index, plain, item.Evidence.ContentType, item.Evidence.Sha256, null);
    }

    // ---- helpers ----

    /// <summary>Runs a change with the request's <c>If-Match</c> (required: 428 without it) and answers the case's new ETag.</summary>
    private static async Task<IResult> Change(HttpContext context, string id, Func<CaseTarget, Task<int>> change)
    {
        if (IfMatch(context, id) is not { } target)
        {
            return PreconditionRequired();
        }

        var version = await change(target);
        context.Response.Headers.ETag = ETag(version);
        return TypedResults.Ok(new Changed(version));
    }

    /// <summary>The case a change acts on, with the version its <c>If-Match</c> names (<c>*</c>: any); null without a usable one (428).</summary>
    internal static CaseTarget? IfMatch(HttpContext context, string id)
    {
        var header = context.Request.Headers.IfMatch.ToString().Trim();
        if (header == "*")
        {
            return new CaseTarget(id);
        }

        return EntityTagHeaderValue.TryParse(header, out var tag) && !tag.IsWeak
            && int.TryParse(tag.Tag.AsSpan(1, tag.Tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? new CaseTarget(id, version)
            : (CaseTarget?)null;
    }

    private static IResult PreconditionRequired() =>
        Results.Problem(title: "Precondition required", detail: "A change needs If-Match with the case's ETag (from GET /cases/{id}).", statusCode: StatusCodes.Status428PreconditionRequired);

    public static string ETag(int version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    internal static CaseRow Row(CaseSummary r, DateTimeOffset now) => new(
        r.Id, r.ReferenceCode, r.Channel, r.Urgency, CaseLifecycle.Name(r.Status), r.TeamId, r.OwnerId, r.Categories, r.ProvinceCode, r.ReceivedAt, r.FirstResponseDue,
        r.FirstResponseAt, r.InterventionDue, r.FirstResponseOverdue(now), r.InterventionOverdue(now), r.LowPriorityReason, r.TransferTo, r.Version);

    private static (string Container, string Name) SplitBlob(string blob)
    {
        var slash = blob.IndexOf('/', StringComparison.Ordinal);
        return (blob[..slash], blob[(slash + 1)..]);
    }

    /// <summary>Only media types a browser shows inertly; anything else is a download.</summary>
    private static string SafeContentType(string? declared)
    {
        var type = declared?.Split(';')[0].Trim().ToLowerInvariant();
        return type is "image/jpeg" or "image/png" or "image/webp" or "image/gif" or "audio/mpeg" or "audio/wav" or "audio/ogg" or "video/mp4" or "application/json" or "application/pdf"
            ? type
            : type is "text/plain" ? "text/plain; charset=utf-8" : "application/octet-stream";
    }

    private static string Extension(string? contentType) => contentType?.Split(';')[0].Trim().ToLowerInvariant() switch
    {
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/webp" => ".webp",
        "audio/mpeg" => ".mp3",
        "audio/wav" => ".wav",
        "video/mp4" => ".mp4",
        "application/json" => ".json",
        "text/plain" => ".txt",
        _ => string.Empty,
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Report {ReportId}'s stored envelope does not read as hub.report/v1; the case detail lists it as unreadable")]
    private static partial void LogUnreadable(ILogger logger, string reportId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Protected item {Index} of a case failed its integrity check and was not served")]
    private static partial void LogIntegrity(ILogger logger, int index);
}
