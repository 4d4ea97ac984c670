using System.Globalization;
using System.Text.Json;
using Hub.Bots.Dialog;
using Hub.Core.Cases;
using Hub.Functions.Cases;
using Hub.Functions.Chat;
using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Hub.OperatorConsole;
using Hub.OperatorConsole.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Hub.Functions.ConsoleApi;

/// <summary>What the console's pages use, bound per request: the API's services (the pages read and change through the same code).</summary>
public sealed record PageServices(
    CaseService Cases, People People, PrivacyServices Privacy, HubStorage Storage, TimeProvider Time, CaseChangeSignal Signal, IOptions<AuthOptions> Auth,
    ILogger<CaseService> Logger, ConversationStore Conversations, BotInbox Inbox, IEnumerable<IChatSender> Senders, IAntiforgery Antiforgery, IOptions<ConsoleOptions> Options,
    Channels.SmsOutbound.SmsOutbox Sms, IOptions<HubOptions> Hub, Referrals.Referrals Referrals)
{
    public ConsoleServices Api() => new(Cases, People, Privacy, Storage, Time, Signal, Auth, Logger, Sms);

    public ConversationServices Chat() => new(Cases, Conversations, Inbox, Senders, Time);
}

/// <summary>
/// <c>/console</c>: the operator console's pages (console/Hub.Console renders them). Each page reads through the
/// console API's own functions (<see cref="ConsoleApi.ViewAsync"/>, <see cref="ConsoleApi.SummaryAsync"/>,
/// <see cref="ConversationApi.ViewAsync"/>…) and each form changes through the same case service calls, under the
/// same access table, so the console and the API cannot disagree. Forms post with an antiforgery token and the case
/// version the user saw; success answers 303 to the page (post/redirect/get).
/// </summary>
public static partial class ConsolePages
{
    public const string FunctionName = "Console";

    /// <summary>The fragments the script fetches: an expired session answers 401 to them, not a redirect to sign-in.</summary>
    private static readonly HashSet<string> Fragments = new(StringComparer.Ordinal) { "console.page.live", "console.page.chat", "console.page.sms" };

    /// <summary>Which API rule a form's action answers to: the console allows exactly what the API allows.</summary>
    private static readonly Dictionary<string, string> ActionRules = new(StringComparer.Ordinal)
    {
        ["claim"] = "console.cases.claim",
        ["assign"] = "console.cases.assign",
        ["release"] = "console.cases.release",
        ["transfer"] = "console.cases.transfer",
        ["accept-transfer"] = "console.cases.accept-transfer",
        ["reject-transfer"] = "console.cases.reject-transfer",
        ["close"] = "console.cases.close",
        ["reopen"] = "console.cases.reopen",
        ["note"] = "console.cases.notes",
        ["link"] = "console.cases.links",
        ["classify"] = "console.cases.classify",
        ["reply"] = "console.cases.conversation.reply",
        ["release-chat"] = "console.cases.conversation.release",
        ["sms-reply"] = "console.cases.sms.reply",
        ["reveal-contact"] = "console.cases.reveal-contact",
        ["callback-reveal"] = "console.callbacks.reveal",
        ["callback-done"] = "console.callbacks.done",
        ["refer"] = "console.referrals.send",
        ["revoke-referral"] = "console.referrals.revoke",
        ["confirm-material"] = "console.cases.evidence.confirm",
        ["vote-match"] = "console.cases.known-material.vote",
        ["takedown"] = "console.cases.takedown",
    };

    /// <summary>The receiving side's moves on a referral's page, and the API rule each answers to.</summary>
    private static readonly Dictionary<string, (Hub.Core.Cases.ReferralState To, string Rule)> ReferralMoves = new(StringComparer.Ordinal)
    {
        ["acknowledge"] = (Hub.Core.Cases.ReferralState.Acknowledged, "console.referrals.acknowledge"),
        ["accept"] = (Hub.Core.Cases.ReferralState.Accepted, "console.referrals.accept"),
        ["reject"] = (Hub.Core.Cases.ReferralState.Rejected, "console.referrals.reject"),
        ["done"] = (Hub.Core.Cases.ReferralState.Done, "console.referrals.done"),
    };

    private static readonly Dictionary<string, string> Done = new(StringComparer.Ordinal)
    {
        ["claim"] = "Bạn đã nhận xử lý hồ sơ này.",
        ["assign"] = "Đã giao hồ sơ.",
        ["release"] = "Đã trả hồ sơ về hàng chờ.",
        ["transfer"] = "Đã gửi đề nghị chuyển nhóm.",
        ["accept-transfer"] = "Hồ sơ đã về nhóm của bạn.",
        ["reject-transfer"] = "Đã từ chối chuyển nhóm.",
        ["close"] = "Đã đóng hồ sơ.",
        ["reopen"] = "Đã mở lại hồ sơ.",
        ["note"] = "Đã lưu ghi chú.",
        ["link"] = "Đã liên kết hồ sơ.",
        ["classify"] = "Đã lưu phân loại.",
        ["reply"] = "Đã gửi tin trả lời (đang chuyển tới trẻ).",
        ["sms-reply"] = "Đã xếp tin SMS vào hàng gửi; trạng thái gửi hiện bên dưới.",
        ["release-chat"] = "Đã trả cuộc trò chuyện cho bot; nội dung đã trao đổi được lưu vào hồ sơ.",
        ["callback-done"] = "Đã ghi kết quả gọi lại.",
        ["refer"] = "Đã gửi chuyển tuyến; đơn vị nhận sẽ thấy ngay trên bàn làm việc của họ.",
        ["revoke-referral"] = "Đã thu hồi chuyển tuyến.",
        ["confirm-material"] = "Đã xác nhận là tư liệu xâm hại trẻ em: mã băm đã vào ngân hàng đã thẩm định, ảnh không còn hiển thị cho bất kỳ ai.",
        ["vote-match"] = "Đã ghi nhận đánh giá về kết quả trùng khớp.",
        ["takedown"] = "Đã gửi yêu cầu gỡ bỏ tới nền tảng; kết quả sẽ hiện ở mục chuyển tuyến khi nền tảng xác nhận.",
        ["acknowledge"] = "Đã xác nhận nhận chuyển tuyến.",
        ["accept"] = "Đã tiếp nhận xử lý.",
        ["reject"] = "Đã từ chối chuyển tuyến; đơn vị gửi sẽ thấy lý do.",
        ["done"] = "Đã ghi kết quả xử lý.",
        ["added"] = "Đã thêm người dùng.",
        ["grant"] = "Đã cấp quyền.",
        ["revoke"] = "Đã thu hồi quyền.",
        ["disable"] = "Đã khoá tài khoản; mọi phiên đăng nhập của người này đã kết thúc.",
    };

    public static IEndpointRouteBuilder MapConsolePages(this IEndpointRouteBuilder app)
    {
        // On Azure one function carries every console path to the app (FunctionApp/Console: console/{*path}).
        var pages = app.MapGroup("/console").ExcludeFromDescription().RequireConsolePage().WithMetadata(new FunctionMetadata(FunctionName));
        pages.MapGet("/", HomeAsync).WithName("console.page.home");
        pages.MapGet("/live", LiveAsync).WithName("console.page.live");
        pages.MapGet("/cases/{id}", CaseAsync).WithName("console.page.case");
        pages.MapGet("/cases/{id}/chat", ChatAsync).WithName("console.page.chat");
        pages.MapGet("/cases/{id}/sms", SmsAsync).WithName("console.page.sms");
        pages.MapPost("/cases/{id}/{action}", ActAsync).WithName("console.page.act").DisableAntiforgery();
        pages.MapGet("/cases/{id}/mau-01", Form01Async).WithName("console.page.form01");
        pages.MapGet("/referrals", ReferralsAsync).WithName("console.page.referrals");
        pages.MapGet("/referrals/{rid}", ReferralAsync).WithName("console.page.referral");
        pages.MapPost("/referrals/{rid}/{move}", ReferralActAsync).WithName("console.page.referral.act").DisableAntiforgery();
        pages.MapGet("/supervisor", SupervisorAsync).WithName("console.page.supervisor");
        pages.MapGet("/routing", Routing).WithName("console.page.routing");
        pages.MapGet("/admin", AdminAsync).WithName("console.page.admin");
        pages.MapPost("/admin/users", AddUserAsync).WithName("console.page.admin.add").DisableAntiforgery();
        pages.MapPost("/admin/users/{login}/{action}", ChangeUserAsync).WithName("console.page.admin.change").DisableAntiforgery();
        MapStatsPages(pages);
        pages.MapGet("/assets/{file}", (Func<HttpContext, string, IResult>)Asset).WithName("console.assets");
        return app;
    }

    /// <summary>
    /// The access table for pages: the same <see cref="ConsoleAccess.Rules"/>, answered as a person expects — no
    /// session: to sign-in (the fragments: 401); an account the hub does not know: the no-access page; a role the rule
    /// does not name: a page saying so (403); a form without its token: 400; a case outside scope: 404.
    /// </summary>
    public static TBuilder RequireConsolePage<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var name = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
            var rule = name is not null && ConsoleAccess.Rules.TryGetValue(name, out var r) ? r
                : throw new InvalidOperationException($"endpoint '{name}' has no row in ConsoleAccess.Rules: every staff endpoint needs one (refused)");
            if (!rule.Public)
            {
                var actor = SignIn.ActorOf(http);
                if (actor is null)
                {
                    if (Fragments.Contains(name!) || !HttpMethods.IsGet(http.Request.Method))
                    {
                        return Message(http, null, StatusCodes.Status401Unauthorized, "Cần đăng nhập", "Phiên đăng nhập đã hết hoặc chưa đăng nhập.", "Đăng nhập", "/auth/login");
                    }

                    return SignIn.IsPending(http)
                        ? Results.Redirect("/auth/no-access")
                        : Results.Redirect("/auth/login?returnUrl=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
                }

                if (!rule.Allows(actor))
                {
                    return Forbidden(http);
                }

                if (!HttpMethods.IsGet(http.Request.Method) && (!http.Request.HasFormContentType || !await SignIn.ValidAntiforgeryAsync(http)))
                {
                    return Message(http, PageOf(http, "queue"), StatusCodes.Status400BadRequest, "Yêu cầu không hợp lệ", "Phiên biểu mẫu đã hết hạn. Vui lòng tải lại trang và thử lại.", "Về hàng chờ", "/console");
                }
            }

            try
            {
                return await next(context);
            }
            catch (CaseOperationException ex) when (ex.Kind == CaseProblem.NotFound)
            {
                return NotFound(http);
            }
            catch (CaseOperationException ex) when (ex.Kind == CaseProblem.Forbidden)
            {
                // The role may, this case does not let them (not its owner, not their team): say so, not "no access".
                return Message(http, PageOf(http, "queue"), StatusCodes.Status403Forbidden, "Chưa thể thực hiện",
                    "Việc này dành cho người đang xử lý hồ sơ hoặc giám sát viên của nhóm. Hãy nhận xử lý hồ sơ trước, hoặc nhờ giám sát viên.", "Về hàng chờ", "/console");
            }
        });
        return builder;
    }

    // ---- the queue ----

    private static async Task<IResult> HomeAsync(HttpContext context, [AsParameters] PageServices s, string? done)
    {
        var actor = Actor(context);
        if (!(actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) || actor.Has(Roles.Liaison)))
        {
            return actor.Has(Roles.Admin)
                ? Results.Redirect("/console/admin")
                : actor.Has(Roles.Analyst)
                    ? Results.Redirect("/console/thong-ke")
                    : Message(context, PageOf(context, "queue"), StatusCodes.Status200OK, "Bàn làm việc",
                        "Bàn làm việc dành cho tư vấn viên, giám sát viên và cán bộ liên lạc. Vai trò của bạn không xem hồ sơ.");
        }

        var model = await QueueAsync(context, s, done);
        return Render<QueuePage>(context, new() { ["Model"] = model }, model.Problem is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> LiveAsync(HttpContext context, [AsParameters] PageServices s)
    {
        var model = await QueueAsync(context, s, null);
        return Render<QueueBody>(context, new() { ["Model"] = model }, model.Problem is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static async Task<QueueModel> QueueAsync(HttpContext context, PageServices s, string? done)
    {
        var actor = Actor(context);
        var query = context.Request.Query;
        string? Q(string name) => query[name].ToString() is { Length: > 0 } v ? v : null;
        var filter = new QueueFilter(Q("status"), Q("urgency"), Q("team"), Q("province"), Q("channel"), Q("category"), Q("mine") is "1" or "on" or "true", Q("q")?.Trim(), Q("cursor"));
        var page = PageOf(context, filter.Mine ? "mine" : "queue", DoneFlash(done));
        var api = s.Api();
        var summary = await ConsoleApi.SummaryAsync(actor, api, context.RequestAborted);
        var people = (await s.People.ListUsersAsync(context.RequestAborted)).ToDictionary(u => u.Id, u => u.DisplayName);
        var teams = (await s.People.ListTeamsAsync(context.RequestAborted)).Select(t => new Named(t.Id, t.Name)).ToList();
        var cursor = (await s.Cases.ChangesAsync(actor, null, 1, context.RequestAborted)).Cursor;
        var callbacks = actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor) ? await s.Cases.OpenCallbacksAsync(actor, context.RequestAborted) : [];
        string? problem = null;
        CaseStatus? status = null;
        if (filter.Status is not null)
        {
            if (CaseLifecycle.TryParseStatus(filter.Status, out var st))
            {
                status = st;
            }
            else
            {
                problem = "Trạng thái không hợp lệ.";
            }
        }

        if (filter.Urgency is not null && !Vi.Urgencies.Contains(filter.Urgency))
        {
            problem = "Mức khẩn không hợp lệ.";
        }

        CaseSearch? search = null;
        if (filter.Q is not null && (search = ConsoleApi.Search(filter.Q, s.Privacy)) is null)
        {
            problem = "Tìm theo mã hồ sơ (XXXX-XXXX), đường dẫn (https://…) hoặc số điện thoại.";
        }

        IReadOnlyList<CaseSummary> rows = [];
        const int Page = 50;
        if (problem is null)
        {
            try
            {
                rows = await s.Cases.ListAsync(actor, new CaseQuery
                {
                    Statuses = status is { } one ? [one] : [],
                    Urgency = filter.Urgency,
                    Team = filter.Team,
                    Province = filter.Province,
                    Channel = filter.Channel,
                    Category = filter.Category,
                    OwnerId = filter.Mine ? actor.UserId : null,
                    Search = search,
                    After = filter.Cursor,
                    Limit = Page,
                }, context.RequestAborted);
            }
            catch (CaseOperationException ex) when (ex.Kind == CaseProblem.Invalid)
            {
                problem = "Đường dẫn trang không hợp lệ; hãy mở lại hàng chờ.";
            }
        }

        var now = s.Time.GetUtcNow();
        context.Response.Headers.CacheControl = "no-store";
        return new QueueModel(page, filter, summary, [.. rows.Select(r => ConsoleApi.Row(r, now))], rows.Count == Page ? CaseService.Cursor(rows[^1]) : null, people, teams, cursor, callbacks, problem);
    }

    // ---- a case ----

    private static async Task<IResult> CaseAsync(string id, HttpContext context, [AsParameters] PageServices s, string? done, string? xem) =>
        await RenderCaseAsync(context, s, id, DoneFlash(done), xem, null, null, StatusCodes.Status200OK);

    private static async Task<IResult> RenderCaseAsync(HttpContext context, PageServices s, string id, Flash? flash, string? xem, string? contact, DateTimeOffset? conflictSince, int status)
    {
        var actor = Actor(context);
        var api = s.Api();
        var ct = context.RequestAborted;
        var view = await ConsoleApi.ViewAsync(actor, id, api, ct);
        var page = PageOf(context, "case", flash);
        ConversationView? chat = null;
        if (view.Reports.Any(r => r.Channel is "messenger" or "zalo") && (actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor)))
        {
            try
            {
                chat = await ConversationApi.ViewAsync(actor, view.Case.Id, s.Chat(), ct);
            }
            catch (CaseOperationException ex) when (ex.Kind is CaseProblem.Forbidden or CaseProblem.NotFound)
            {
                // Not the owner yet (claim first), or the report carries no conversation: the page says so.
            }
        }

        var related = (await s.Cases.RelatedAsync(actor, view.Case.Id, ct)).Select(r => ConsoleApi.Row(r, s.Time.GetUtcNow())).ToList();
        var assignable = actor.Has(Roles.Supervisor)
            ? (await s.People.ListUsersAsync(ct)).Where(u => u.Active && u.Teams.Contains(view.Case.Team) && (u.Roles.Contains(Roles.Counsellor) || u.Roles.Contains(Roles.Supervisor))).Select(u => new Named(u.Login, u.DisplayName)).ToList()
            : [];
        var teams = (await s.People.ListTeamsAsync(ct)).Select(t => new Named(t.Id, t.Name)).ToList();
        int? shown = null;
        IReadOnlyList<LineView>? transcript = null;
        string? problem = null;
        if (xem == "transcript" && (actor.Has(Roles.Counsellor) || actor.Has(Roles.Supervisor)))
        {
            var read = await ConsoleApi.ReadProtectedAsync(actor, api, view.Case.Id, ProtectedKind.Transcript, 1, ct);
            if (read.Bytes is { } bytes && TryLines(bytes) is { } lines)
            {
                transcript = lines;
            }
            else
            {
                problem = "Không mở được bản ghi hội thoại (đã bị xoá theo thời hạn lưu trữ hoặc không đọc được).";
            }
        }
        else if (int.TryParse(xem, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && view.Evidence.Any(e => e.Index == n))
        {
            shown = n;
        }

        EditConflict? conflict = conflictSince is { } since
            ? new EditConflict([.. view.History.Where(e => e.At > since)], [.. view.Notes.Where(e => e.At > since)])
            : null;
        var cursor = (await s.Cases.ChangesAsync(actor, null, 1, ct)).Cursor;
        var model = new CaseModel(page, view, chat, related, assignable, teams, s.Options.Value.Replies, shown, transcript, problem, contact, conflict, cursor);
        context.Response.Headers.CacheControl = "no-store";
        return Render<CasePage>(context, new() { ["Model"] = model }, status);
    }

    /// <summary>
    /// The chat panel for the script: 204 when nothing changed since the state the page shows (nothing is read, so
    /// nothing is audited); otherwise the conversation, read and audited as the API reads it.
    /// </summary>
    private static async Task<IResult> ChatAsync(string id, HttpContext context, [AsParameters] PageServices s, string? state)
    {
        var actor = Actor(context);
        var where = await s.Cases.LocateConversationAsync(actor, id, context.RequestAborted);
        var stored = await s.Conversations.LoadAsync(where.Key, context.RequestAborted);
        context.Response.Headers.CacheControl = "no-store";
        if (state is not null && state == ChatLines.StateOf(stored.State.Transcript.Count, stored.State.Outbox.Count, stored.State.Undelivered.Count, stored.State.Handoff))
        {
            return Results.NoContent();
        }

        var chat = await ConversationApi.ViewAsync(actor, id, s.Chat(), context.RequestAborted);
        return Render<ChatLines>(context, new() { ["Chat"] = chat, ["Now"] = s.Time.GetUtcNow() }, StatusCodes.Status200OK);
    }

    /// <summary>
    /// The SMS panel for the script: 204 when no reply moved since the state the page shows (that look is not a read
    /// of content, so it is not audited); otherwise the replies, read and audited.
    /// </summary>
    private static async Task<IResult> SmsAsync(string id, HttpContext context, [AsParameters] PageServices s, string? state)
    {
        var actor = Actor(context);
        var ct = context.RequestAborted;
        context.Response.Headers.CacheControl = "no-store";
        var rows = await s.Cases.SmsRepliesAsync(actor, id, audited: false, ct);
        if (state is not null && state == SmsLines.StateOf(rows.Select(View)))
        {
            return Results.NoContent();
        }

        rows = await s.Cases.SmsRepliesAsync(actor, id, audited: true, ct);
        var names = (await s.People.ListUsersAsync(ct)).Where(u => rows.Any(r => r.AuthorId == u.Id)).ToDictionary(u => u.Id.ToString(CultureInfo.InvariantCulture), u => u.DisplayName, StringComparer.Ordinal);
        var thread = new SmsThread(false, null, s.Sms.MaxSegments, [.. rows.Select(View)]);
        return Render<SmsLines>(context, new() { ["Sms"] = thread, ["Users"] = names, ["Now"] = s.Time.GetUtcNow() }, StatusCodes.Status200OK);

        static SmsReplyView View(SmsReplyRow r) => new(r.Id, r.CreatedAt, r.AuthorId, r.Body, r.Segments, r.Status, r.Attempts, r.Error, r.UpdatedAt);
    }

    private static async Task<IResult> ActAsync(string id, string action, HttpContext context, [AsParameters] PageServices s)
    {
        var actor = Actor(context);
        if (!ActionRules.TryGetValue(action, out var ruleName))
        {
            return NotFound(context);
        }

        if (!ConsoleAccess.Rules[ruleName].Allows(actor))
        {
            return Forbidden(context);
        }

        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct);
        string? F(string name) => Field(form, name);
        CaseTarget target = int.TryParse(F("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? new CaseTarget(id, version) : new CaseTarget(id);
        DateTimeOffset? seen = DateTimeOffset.TryParse(F("seen"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        var back = F("returnTo") is { } r && r.StartsWith("/console", StringComparison.Ordinal) && !r.StartsWith("//", StringComparison.Ordinal) ? r : null;
        try
        {
            switch (action)
            {
                case "claim":
                    await s.Cases.ClaimAsync(actor, target, ct);
                    break;
                case "assign":
                    await s.Cases.AssignAsync(actor, target, F("login") ?? string.Empty, F("reason"), ct);
                    break;
                case "release":
                    await s.Cases.ReleaseAsync(actor, target, F("reason") ?? string.Empty, ct);
                    break;
                case "transfer":
                    await s.Cases.RequestTransferAsync(actor, target, F("team") ?? string.Empty, F("reason") ?? string.Empty, ct);
                    break;
                case "accept-transfer":
                    await s.Cases.AcceptTransferAsync(actor, target, ct);
                    break;
                case "reject-transfer":
                    await s.Cases.RejectTransferAsync(actor, target, F("reason") ?? string.Empty, ct);
                    break;
                case "close":
                    if (!CaseLifecycle.TryParseCloseReason(F("reason"), out var reason))
                    {
                        return await RenderCaseAsync(context, s, id, new Flash("Chọn lý do đóng hồ sơ.", true), null, null, null, StatusCodes.Status400BadRequest);
                    }

                    await s.Cases.CloseAsync(actor, target, reason, F("note"), ct);
                    break;
                case "reopen":
                    await s.Cases.ReopenAsync(actor, target, F("reason") ?? string.Empty, ct);
                    break;
                case "note":
                    await s.Cases.AddNoteAsync(actor, target, F("body") ?? string.Empty, null, ct);
                    break;
                case "link":
                    await s.Cases.LinkAsync(actor, target, F("other") ?? string.Empty, F("kind") ?? string.Empty, F("reason") ?? string.Empty, ct);
                    break;
                case "classify":
                    var categories = form["categories"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!).ToList();
                    await s.Cases.ClassifyAsync(actor, target, categories.Count > 0 ? categories : null, F("urgency"), F("province"), F("reason") ?? string.Empty, ct);
                    break;
                case "reply":
                    var text = int.TryParse(F("quick"), NumberStyles.None, CultureInfo.InvariantCulture, out var quick) && quick < s.Options.Value.Replies.Count ? s.Options.Value.Replies[quick] : F("text");
                    var sent = await ConversationApi.SendAsync(actor, id, text, s.Chat(), ct);
                    if (sent.ReplyId is null)
                    {
                        return await RenderCaseAsync(context, s, id, new Flash(sent.Invalid ? $"Tin trả lời dài từ 1 đến {ConversationApi.MaxReplyLength} ký tự." : "Không gửi được: " + Vi.WhyNotReply(sent.Why), true), null, null, null, sent.Invalid ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict);
                    }

                    return SeeOther(context, back ?? $"/console/cases/{Uri.EscapeDataString(id)}?done=reply#chat-title");
                case "sms-reply":
                    var queued = await s.Sms.QueueAsync(actor, id, F("text"), ct);
                    if (queued.ReplyId is null)
                    {
                        return await RenderCaseAsync(context, s, id, new Flash(queued.Invalid ? $"Tin SMS dài từ 1 ký tự đến {s.Sms.MaxSegments} tin nhắn." : "Không gửi được: " + Vi.WhyNotSms(queued.Why), true), null, null, null, queued.Invalid ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict);
                    }

                    return SeeOther(context, back ?? $"/console/cases/{Uri.EscapeDataString(id)}?done=sms-reply#sms-title");
                case "release-chat":
                    if (!await ConversationApi.ReleaseToBotAsync(actor, id, s.Chat(), ct))
                    {
                        return await RenderCaseAsync(context, s, id, new Flash("Bot đang giữ cuộc trò chuyện này rồi.", true), null, null, null, StatusCodes.Status409Conflict);
                    }

                    break;
                case "callback-reveal" when long.TryParse(F("task"), NumberStyles.None, CultureInfo.InvariantCulture, out var task):
                    var number = await s.Cases.RevealCallbackNumberAsync(actor, task, c => s.Privacy.Cipher.Unprotect(c, PrivacyServices.ContactPurpose), ct);
                    return await RenderCaseAsync(context, s, id, new Flash("Số cần gọi lại đã hiện bên dưới; việc xem đã được ghi nhật ký."), null, number, null, StatusCodes.Status200OK);
                case "callback-done" when long.TryParse(F("task"), NumberStyles.None, CultureInfo.InvariantCulture, out var done):
                    await s.Cases.CompleteCallbackAsync(actor, done, F("outcome") ?? string.Empty, ct);
                    break;
                case "callback-reveal" or "callback-done":
                    return await RenderCaseAsync(context, s, id, new Flash("Không rõ việc gọi lại nào.", true), null, null, null, StatusCodes.Status400BadRequest);
                case "refer":
                    if (CaseService.ParseSharing(F("sharing") ?? "summary") is not { } sharing)
                    {
                        return await RenderCaseAsync(context, s, id, new Flash("Chọn mức chia sẻ.", true), null, null, null, StatusCodes.Status400BadRequest);
                    }

                    await s.Referrals.SendAsync(actor, target, new ReferralRequest(F("team") ?? string.Empty, F("reason") ?? string.Empty, sharing, F("consent") == "1", F("override") == "1", F("overrideReason")), ct);
                    return SeeOther(context, $"/console/cases/{Uri.EscapeDataString(id)}?done=refer#referrals-title");
                case "revoke-referral":
                    await s.Referrals.MoveAsync(actor, F("referral") ?? string.Empty, Hub.Core.Cases.ReferralState.Revoked, F("reason"), null, null, ct);
                    return SeeOther(context, $"/console/cases/{Uri.EscapeDataString(id)}?done=revoke-referral#referrals-title");
                case "confirm-material" when int.TryParse(F("evidence"), NumberStyles.None, CultureInfo.InvariantCulture, out var item):
                    await s.Cases.ConfirmKnownMaterialAsync(actor, target, item, F("classification"), ct);
                    await context.RequestServices.GetRequiredService<Hashing.HashMatcher>().RefreshAsync(ct);
                    return SeeOther(context, $"/console/cases/{Uri.EscapeDataString(id)}?done=confirm-material#evidence-title");
                case "vote-match" when long.TryParse(F("entry"), NumberStyles.None, CultureInfo.InvariantCulture, out var entry) && F("verdict") is "true-positive" or "false-positive":
                    await s.Cases.VoteOnMatchAsync(actor, target, entry, F("verdict") == "true-positive", F("reason"), ct);
                    return SeeOther(context, $"/console/cases/{Uri.EscapeDataString(id)}?done=vote-match#evidence-title");
                case "takedown":
                    var (takedown, refused) = await ConsoleApi.RequestTakedownAsync(actor, id, F("report"), F("reason"), s.Cases, context.RequestServices.GetRequiredService<Platform.Takedowns>(), ct);
                    if (takedown is null)
                    {
                        return await RenderCaseAsync(context, s, id, new Flash("Chưa gửi được yêu cầu gỡ bỏ: " + refused, true), null, null, null, StatusCodes.Status409Conflict);
                    }

                    return SeeOther(context, $"/console/cases/{Uri.EscapeDataString(id)}?done=takedown#referrals-title");
                case "confirm-material" or "vote-match":
                    return await RenderCaseAsync(context, s, id, new Flash(action == "vote-match" ? "Chọn đúng hay nhầm và ghi lý do." : "Không rõ bằng chứng nào.", true), null, null, null, StatusCodes.Status400BadRequest);
                case "reveal-contact":
                    // Shown once on this response (never in a URL, never cached); the reveal is in the audit trail.
                    var contact = await s.Cases.RevealContactAsync(actor, id, c => s.Privacy.Cipher.Unprotect(c, PrivacyServices.ContactPurpose), ct);
                    return await RenderCaseAsync(context, s, id, new Flash("Số liên lạc đã hiện bên dưới; việc xem đã được ghi nhật ký."), null, contact, null, StatusCodes.Status200OK);
            }
        }
        catch (CaseOperationException ex) when (ex.Kind == CaseProblem.PreconditionFailed)
        {
            return await RenderCaseAsync(context, s, id, null, null, null, seen ?? DateTimeOffset.MinValue, StatusCodes.Status409Conflict);
        }
        catch (CaseOperationException ex) when (ex.Kind is CaseProblem.Conflict or CaseProblem.Invalid)
        {
            var text = action == "refer" && ex.Kind == CaseProblem.Invalid
                ? "Chưa gửi được: hãy chọn đơn vị nhận, ghi nội dung chuyển và đánh dấu người báo đã đồng ý (hoặc, với giám sát viên, quyết định chuyển kèm lý do)."
                : action == "refer"
                ? "Chưa gửi được: hãy nhận xử lý hồ sơ trước; mỗi đơn vị chỉ có một chuyển tuyến đang mở."
                : ex.Kind == CaseProblem.Conflict
                ? "Trạng thái hiện tại của hồ sơ không cho phép thao tác này."
                : "Thông tin chưa hợp lệ: hãy điền đủ các ô bắt buộc (ví dụ lý do) và thử lại.";
            return await RenderCaseAsync(context, s, id, new Flash(text, true), null, null, null, ex.Kind == CaseProblem.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
        }

        return SeeOther(context, back is null ? $"/console/cases/{Uri.EscapeDataString(id)}?done={action}" : back + (back.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "done=" + action);
    }

    // ---- referrals ----

    private static async Task<IResult> ReferralsAsync(HttpContext context, [AsParameters] PageServices s, string? all)
    {
        var now = s.Time.GetUtcNow();
        var everything = all is "1" or "true";
        var rows = (await s.Cases.ReferralInboxAsync(Actor(context), everything, 200, context.RequestAborted)).Select(r => ReferralApi.ListRow(r.Referral, r.Case, now)).ToList();
        return Render<ReferralsPage>(context, new() { ["Model"] = new ReferralInboxModel(PageOf(context, "referrals"), rows, everything) }, StatusCodes.Status200OK);
    }

    private static async Task<IResult> ReferralAsync(string rid, HttpContext context, [AsParameters] PageServices s, string? done) =>
        await RenderReferralAsync(context, s, rid, DoneFlash(done), StatusCodes.Status200OK);

    private static async Task<IResult> RenderReferralAsync(HttpContext context, PageServices s, string rid, Flash? flash, int status)
    {
        var view = await ReferralApi.DetailAsync(Actor(context), rid, s.Api(), context.RequestAborted);
        return Render<ReferralPage>(context, new() { ["Model"] = new ReferralPageModel(PageOf(context, "referrals", flash), view) }, status);
    }

    private static async Task<IResult> ReferralActAsync(string rid, string move, HttpContext context, [AsParameters] PageServices s)
    {
        var actor = Actor(context);
        if (!ReferralMoves.TryGetValue(move, out var m))
        {
            return NotFound(context);
        }

        if (!ConsoleAccess.Rules[m.Rule].Allows(actor))
        {
            return Forbidden(context);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        string? F(string name) => Field(form, name);
        int? version = int.TryParse(F("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        try
        {
            await s.Referrals.MoveAsync(actor, rid, m.To, m.To == Hub.Core.Cases.ReferralState.Done ? F("note") : F("reason"), F("outcome"), version, context.RequestAborted);
        }
        catch (CaseOperationException ex) when (ex.Kind is CaseProblem.Invalid or CaseProblem.Conflict or CaseProblem.PreconditionFailed)
        {
            var text = ex.Kind == CaseProblem.Invalid ? (m.To == Hub.Core.Cases.ReferralState.Rejected ? "Hãy ghi lý do từ chối." : "Hãy chọn kết quả xử lý.")
                : ex.Kind == CaseProblem.PreconditionFailed ? "Chuyển tuyến vừa được người khác cập nhật; trang đã hiện trạng thái mới nhất."
                : "Trạng thái hiện tại của chuyển tuyến không cho phép thao tác này.";
            return await RenderReferralAsync(context, s, rid, new Flash(text, true), ex.Kind == CaseProblem.Invalid ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict);
        }

        return SeeOther(context, $"/console/referrals/{Uri.EscapeDataString(rid)}?done={move}");
    }

    /// <summary>The case as Decree 56's Form 01, to print: read through the same audited detail as the case page.</summary>
    private static async Task<IResult> Form01Async(string id, HttpContext context, [AsParameters] PageServices s)
    {
        var view = await ConsoleApi.ViewAsync(Actor(context), id, s.Api(), context.RequestAborted);
        var by = view.Case.Owner is { } o && view.Users.TryGetValue(o.ToString(CultureInfo.InvariantCulture), out var name) ? name : string.Empty;
        return Render<Form01Page>(context, new() { ["Model"] = new Form01Model(view, by, s.Time.GetUtcNow()) }, StatusCodes.Status200OK);
    }

    // ---- supervision and administration ----

    private static async Task<IResult> SupervisorAsync(HttpContext context, [AsParameters] PageServices s, string? done)
    {
        var actor = Actor(context);
        var ct = context.RequestAborted;
        var overdue = await ConsoleApi.OverdueViewAsync(actor, s.Api(), null, ct);
        var workload = await s.Cases.WorkloadAsync(actor, null, ct);
        var users = await s.People.ListUsersAsync(ct);
        var people = users.Where(u => u.Teams.Any(actor.In)).Select(u => new UserView(u.Login, u.DisplayName, u.Active, u.Roles, u.Teams, null, null)).ToList();
        var now = s.Time.GetUtcNow();
        var escalated = (await s.Cases.EscalatedReferralsAsync(actor, ct)).Select(r => ReferralApi.ListRow(r.Referral, r.Case, now)).ToList();
        var model = new SupervisorModel(PageOf(context, "supervisor", DoneFlash(done)), overdue, workload, people, users.ToDictionary(u => u.Id, u => u.DisplayName), escalated);
        context.Response.Headers.CacheControl = "no-store";
        return Render<SupervisorPage>(context, new() { ["Model"] = model }, StatusCodes.Status200OK);
    }

    private static RazorComponentResult<RoutingPage> Routing(HttpContext context, [AsParameters] PageServices s)
    {
        var routing = s.Hub.Value.Routing;
        return Render<RoutingPage>(context, new() { ["Model"] = new RoutingModel(PageOf(context, "routing"), routing.Effective, routing.Rules.Count == 0) }, StatusCodes.Status200OK);
    }

    private static async Task<IResult> AdminAsync(HttpContext context, [AsParameters] PageServices s, string? done) =>
        await RenderAdminAsync(context, s, DoneFlash(done), StatusCodes.Status200OK);

    private static async Task<IResult> RenderAdminAsync(HttpContext context, PageServices s, Flash? flash, int status)
    {
        var ct = context.RequestAborted;
        var users = (await s.People.ListUsersAsync(ct)).Select(u => new UserView(u.Login, u.DisplayName, u.Active, u.Roles, u.Teams, u.Issuer, u.Subject)).ToList();
        var teams = (await s.People.ListTeamsAsync(ct)).Select(t => new Named(t.Id, t.Name)).ToList();
        context.Response.Headers.CacheControl = "no-store";
        return Render<AdminPage>(context, new() { ["Model"] = new AdminModel(PageOf(context, "admin", flash), users, teams) }, status);
    }

    private static async Task<IResult> AddUserAsync(HttpContext context, [AsParameters] PageServices s)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        string? F(string name) => Field(form, name);
        try
        {
            await s.People.AddUserAsync(Actor(context), F("login") ?? string.Empty, F("displayName") ?? string.Empty, F("team") is { } t ? [t] : [], F("role") is { } r ? [r] : [], F("issuer"), F("subject"), context.RequestAborted);
        }
        catch (CaseOperationException ex) when (ex.Kind is CaseProblem.Invalid or CaseProblem.Conflict)
        {
            return await RenderAdminAsync(context, s, new Flash(ex.Kind == CaseProblem.Conflict ? "Tên đăng nhập hoặc tài khoản nhà cung cấp này đã có." : "Thông tin người dùng chưa hợp lệ (tên đăng nhập, họ tên, nhóm và vai trò là bắt buộc).", true), ex.Kind == CaseProblem.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
        }

        return SeeOther(context, "/console/admin?done=added");
    }

    private static async Task<IResult> ChangeUserAsync(string login, string action, HttpContext context, [AsParameters] PageServices s)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        string? F(string name) => Field(form, name);
        var actor = Actor(context);
        var op = action == "grant" ? F("op") ?? "grant" : action;
        try
        {
            switch (op)
            {
                case "grant":
                    await s.People.GrantAsync(actor, login, F("role"), F("team"), context.RequestAborted);
                    break;
                case "revoke":
                    await s.People.RevokeAsync(actor, login, F("role"), F("team"), context.RequestAborted);
                    break;
                case "disable":
                    await s.People.DisableAsync(actor, login, context.RequestAborted);
                    break;
                default:
                    return NotFound(context);
            }
        }
        catch (CaseOperationException ex) when (ex.Kind is CaseProblem.Invalid or CaseProblem.Conflict)
        {
            return await RenderAdminAsync(context, s, new Flash("Không thực hiện được: hãy chọn vai trò hoặc nhóm hợp lệ (người dùng phải còn ít nhất một nhóm và một vai trò).", true), StatusCodes.Status400BadRequest);
        }

        return SeeOther(context, "/console/admin?done=" + op);
    }

    private static IResult Asset(HttpContext context, string file)
    {
        if (!ConsoleAssets.TryGet(file, out var bytes, out var type))
        {
            return Results.NotFound();
        }

        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return Results.Bytes(bytes, type);
    }

    // ---- helpers ----

    private static Actor Actor(HttpContext context) => SignIn.ActorOf(context) ?? throw new InvalidOperationException("RequireConsolePage runs first");

    private static PageContext PageOf(HttpContext context, string section, Flash? flash = null)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return new PageContext(ConsoleApi.MeOf(context), tokens.FormFieldName, tokens.RequestToken!, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(), section, flash);
    }

    /// <summary>A form field, trimmed; null when absent or empty.</summary>
    private static string? Field(IFormCollection form, string name) => form[name].ToString() is { Length: > 0 } v ? v.Trim() : null;

    private static Flash? DoneFlash(string? done) => done is not null && Done.TryGetValue(done, out var text) ? new Flash(text) : null;

    private static IResult SeeOther(HttpContext context, string url)
    {
        context.Response.Headers.Location = url;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    private static RazorComponentResult<MessagePage> NotFound(HttpContext context) =>
        Message(context, SignIn.ActorOf(context) is null ? null : PageOf(context, "queue"), StatusCodes.Status404NotFound, "Không tìm thấy", "Không có hồ sơ hoặc trang này trong phạm vi của bạn.", "Về hàng chờ", "/console");

    private static RazorComponentResult<MessagePage> Forbidden(HttpContext context) =>
        Message(context, PageOf(context, "queue"), StatusCodes.Status403Forbidden, "Không có quyền", "Vai trò của bạn không được thực hiện việc này.", "Về bàn làm việc", "/console");

    private static RazorComponentResult<MessagePage> Message(HttpContext context, PageContext? page, int status, string title, string text, string? linkText = null, string? linkHref = null) =>
        Render<MessagePage>(context, new() { ["Model"] = new MessageModel(page, title, text, linkText, linkHref) }, status);

    private static RazorComponentResult<T> Render<T>(HttpContext context, Dictionary<string, object?> parameters, int status)
        where T : IComponent
    {
        context.Response.Headers.CacheControl = "no-store";
        return new RazorComponentResult<T>(parameters) { StatusCode = status, ContentType = "text/html; charset=utf-8" };
    }

    /// <summary>A stored chat transcript (the bot's <see cref="TranscriptLine"/> list) as lines, or null if it is not one.</summary>
    private static List<LineView>? TryLines(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, Hub.Bots.BotsJsonContext.Default.ListTranscriptLine)?.Select(l => new LineView(l.At, l.From, l.Text, l.Attachments?.Count ?? 0, null)).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
