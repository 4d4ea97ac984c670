using System.Globalization;
using Hub.Core.Cases;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Functions.Hosting;
using Hub.Functions.Referrals;
using Microsoft.Net.Http.Headers;

namespace Hub.Functions.ConsoleApi;

/// <summary>
/// Referrals in the console API (docs/referrals.md#api): the sender's <c>POST /cases/{id}/referrals</c> and revoke;
/// the receiving team's inbox, its audited read of what is shared, and its moves — the same calls for a liaison in the
/// console and for an agency's system with a client-credentials token. A referral's ETag is its own version.
/// </summary>
public static class ReferralApi
{
    public sealed record SendRequest(string? Team, string? Reason, string? Sharing, bool ReporterConsented, bool SupervisorOverride, string? OverrideReason);

    public sealed record MoveRequest(string? Reason, string? Outcome, string? Note);

    public static RouteGroupBuilder MapReferralApi(this RouteGroupBuilder api)
    {
        api.MapPost("/cases/{id}/referrals", SendAsync).WithName("console.referrals.send");
        api.MapGet("/referrals", async (bool? all, HttpContext h, [AsParameters] ConsoleServices s, Referrals.Referrals referrals) =>
        {
            h.Response.Headers.CacheControl = "no-store";
            var now = s.Time.GetUtcNow();
            return TypedResults.Ok((await s.Cases.ReferralInboxAsync(Actor(h), all == true, 200, h.RequestAborted)).Select(r => ListRow(r.Referral, r.Case, now)).ToList());
        }).WithName("console.referrals.list");
        api.MapGet("/referrals/escalated", async (HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            h.Response.Headers.CacheControl = "no-store";
            var now = s.Time.GetUtcNow();
            return TypedResults.Ok((await s.Cases.EscalatedReferralsAsync(Actor(h), h.RequestAborted)).Select(r => ListRow(r.Referral, r.Case, now)).ToList());
        }).WithName("console.referrals.escalated");
        api.MapGet("/referrals/{rid}", async (string rid, HttpContext h, [AsParameters] ConsoleServices s) =>
        {
            var view = await DetailAsync(Actor(h), rid, s, h.RequestAborted);
            h.Response.Headers.ETag = ConsoleApi.ETag(view.Referral.Version);
            h.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(view);
        }).WithName("console.referrals.get");
        api.MapGet("/referrals/{rid}/evidence/{n:int}", async (string rid, int n, HttpContext h, [AsParameters] ConsoleServices s) =>
            await ConsoleApi.ServeProtectedAsync(h, s, () => s.Cases.OpenReferralEvidenceAsync(Actor(h), rid, n, h.RequestAborted), ProtectedKind.Evidence))
            .WithName("console.referrals.evidence");
        api.MapPost("/referrals/{rid}/acknowledge", (string rid, HttpContext h, Referrals.Referrals r) => MoveAsync(h, r, rid, ReferralState.Acknowledged, null)).WithName("console.referrals.acknowledge");
        api.MapPost("/referrals/{rid}/accept", (string rid, MoveRequest? body, HttpContext h, Referrals.Referrals r) => MoveAsync(h, r, rid, ReferralState.Accepted, body)).WithName("console.referrals.accept");
        api.MapPost("/referrals/{rid}/reject", (string rid, MoveRequest body, HttpContext h, Referrals.Referrals r) => MoveAsync(h, r, rid, ReferralState.Rejected, body)).WithName("console.referrals.reject");
        api.MapPost("/referrals/{rid}/done", (string rid, MoveRequest body, HttpContext h, Referrals.Referrals r) => MoveAsync(h, r, rid, ReferralState.Done, body)).WithName("console.referrals.done");
        api.MapPost("/referrals/{rid}/revoke", (string rid, MoveRequest body, HttpContext h, Referrals.Referrals r) => MoveAsync(h, r, rid, ReferralState.Revoked, body)).WithName("console.referrals.revoke");
        return api;
    }

    /// <summary>What a referral's receiver (or sender) reads: an audited read, shaped by the sharing level.</summary>
    internal static async Task<ReferralDetailView> DetailAsync(Actor actor, string rid, ConsoleServices s, CancellationToken ct)
    {
        var d = await s.Cases.ReferralDetailAsync(actor, rid, ct);
        var now = s.Time.GetUtcNow();
        var e = d.First;
        var shared = d.Referral.Sharing == "with-evidence";
        var c = d.Case;
        return new ReferralDetailView(
            View(d.Referral, now),
            new SharedCaseView(
                c.ReferenceCode, c.Urgency, c.Categories, c.ProvinceCode, c.ReceivedAt, e?.Reporter.Role, e?.Reporter.AgeBand, e?.Incident.VictimAgeBand, c.InterventionDue,
                shared ? e?.Incident.Description : null,
                shared ? e?.Incident.Urls ?? [] : null,
                shared ? e?.Incident.ReportedAccounts ?? [] : null,
                shared ? [.. d.Evidence.Select(i => new EvidenceRow(i.Index, i.ReportId, i.Evidence.Kind, i.Evidence.ContentType, i.Evidence.Size, i.Evidence.Sha256, i.Evidence.Error, i.Evidence.HeldBy, i.Evidence.SourceUrl, i.Evidence.Tags))] : null),
            d.TeamNames.GetValueOrDefault(d.Referral.FromTeam, d.Referral.FromTeam),
            d.TeamNames.GetValueOrDefault(d.Referral.ToTeam, d.Referral.ToTeam),
            d.Side == ReferralSide.Receiver ? "receiver" : "sender",
            [.. ReferralLifecycle.Allowed(ReferralLifecycle.Parse(d.Referral.State)!.Value, d.Side).Select(ReferralLifecycle.Name)]);
    }

    public static ReferralView View(ReferralRow f, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new(f.Id, f.CaseId, f.ToTeam, f.FromTeam, f.State, f.Reason, f.Sharing, f.ConsentBasis, f.OverrideReason, f.SentBy, f.SentAt, f.AcknowledgeDue, f.InterventionDue,
            f.AcknowledgedAt, f.DecidedAt, f.ClosedAt, f.Outcome, f.Answer, f.Webhook, f.WebhookAttempts, f.WebhookError, f.Escalated(now), f.Version);
    }

    internal static ReferralListRow ListRow(ReferralRow f, CaseSummary c, DateTimeOffset now) => new(View(f, now), c.ReferenceCode, c.Urgency, c.Categories, c.ProvinceCode);

    private static async Task<IResult> SendAsync(string id, SendRequest body, HttpContext h, Referrals.Referrals referrals)
    {
        if (ConsoleApi.IfMatch(h, id) is not { } target)
        {
            return Results.Problem(title: "Precondition required", detail: "A referral needs If-Match with the case's ETag (from GET /cases/{id}).", statusCode: StatusCodes.Status428PreconditionRequired);
        }

        if (CaseService.ParseSharing(body.Sharing ?? "summary") is not { } sharing)
        {
            return Problems.BadRequest("sharing is 'summary' or 'with-evidence'");
        }

        var sent = await referrals.SendAsync(Actor(h), target, new ReferralRequest(body.Team ?? string.Empty, body.Reason ?? string.Empty, sharing, body.ReporterConsented, body.SupervisorOverride, body.OverrideReason), h.RequestAborted);
        h.Response.Headers.ETag = ConsoleApi.ETag(sent.CaseVersion);
        return Results.Created($"{ConsoleApi.Prefix}/referrals/{sent.Id}", sent);
    }

    private static async Task<IResult> MoveAsync(HttpContext h, Referrals.Referrals referrals, string rid, ReferralState to, MoveRequest? body)
    {
        var header = h.Request.Headers.IfMatch.ToString().Trim();
        int? version = null;
        if (header != "*")
        {
            if (!(EntityTagHeaderValue.TryParse(header, out var tag) && !tag.IsWeak && int.TryParse(tag.Tag.AsSpan(1, tag.Tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var v)))
            {
                return Results.Problem(title: "Precondition required", detail: "A change needs If-Match with the referral's ETag (from GET /referrals/{id}), or *.", statusCode: StatusCodes.Status428PreconditionRequired);
            }

            version = v;
        }

        var reason = to == ReferralState.Done ? body?.Note : body?.Reason;
        var moved = await referrals.MoveAsync(Actor(h), rid, to, reason, body?.Outcome, version, h.RequestAborted);
        h.Response.Headers.ETag = ConsoleApi.ETag(moved.Version);
        return TypedResults.Ok(moved);
    }

    private static Actor Actor(HttpContext context) => SignIn.ActorOf(context) ?? throw new InvalidOperationException("ConsoleAccess runs first");
}
