using Hub.Functions.Cases;
using Hub.Functions.Hosting;

namespace Hub.Functions.ConsoleApi;

/// <summary>Who may call an endpoint: anyone (sign-in pages, the API's description), or the signed-in users with one of <see cref="Roles"/>.</summary>
public sealed record AccessRule(bool Public, IReadOnlyList<string> Roles)
{
    public static AccessRule Anyone { get; } = new(true, []);

    public static AccessRule For(params string[] roles) => new(false, roles);

    public bool Allows(Actor actor) => Public || (actor is not null && Roles.Any(actor.Has));
}

/// <summary>
/// The one table of who may call which staff endpoint, by endpoint name. Every endpoint under <c>/api/console</c>
/// and <c>/auth</c> must have a row: an endpoint without one refuses every request (fails closed), and the matrix test walks
/// every mapped endpoint against every role and anonymous. Roles open the door; the case service then checks
/// team scope (a case outside it answers 404) and the finer rules (only the owner or a supervisor closes).
/// </summary>
public static class ConsoleAccess
{
    private static readonly string[] CaseWorkers = [Roles.Counsellor, Roles.Supervisor, Roles.Liaison];
    private static readonly string[] Counselling = [Roles.Counsellor, Roles.Supervisor];

    public static readonly IReadOnlyDictionary<string, AccessRule> Rules = new Dictionary<string, AccessRule>(StringComparer.Ordinal)
    {
        // sign-in: public by nature (each page says what it is for and refuses what it must)
        ["auth.login"] = AccessRule.Anyone,
        ["auth.logout"] = AccessRule.Anyone,
        ["auth.signed-out"] = AccessRule.Anyone,
        ["auth.error"] = AccessRule.Anyone,
        ["auth.no-access"] = AccessRule.Anyone,
        ["auth.dev"] = AccessRule.Anyone,
        ["auth.dev.sign-in"] = AccessRule.Anyone,
        ["auth.css"] = AccessRule.Anyone,
        ["console.openapi"] = AccessRule.Anyone,

        ["console.me"] = AccessRule.For([.. Roles.All]),
        ["console.teams"] = AccessRule.For([.. CaseWorkers, Roles.Admin]),

        // cases: never analysts (statistics only) nor administrators (no case content by default)
        ["console.cases.list"] = AccessRule.For(CaseWorkers),
        ["console.cases.get"] = AccessRule.For(CaseWorkers),
        ["console.cases.related"] = AccessRule.For(CaseWorkers),
        ["console.cases.claim"] = AccessRule.For(Counselling),
        ["console.cases.assign"] = AccessRule.For(Roles.Supervisor),
        ["console.cases.release"] = AccessRule.For(Counselling),
        ["console.cases.transfer"] = AccessRule.For(Counselling),
        ["console.cases.accept-transfer"] = AccessRule.For(CaseWorkers),
        ["console.cases.reject-transfer"] = AccessRule.For(CaseWorkers),
        ["console.cases.close"] = AccessRule.For(Counselling),
        ["console.cases.reopen"] = AccessRule.For(Roles.Supervisor),
        ["console.cases.notes"] = AccessRule.For(CaseWorkers),
        ["console.cases.links"] = AccessRule.For(Counselling),
        ["console.cases.classify"] = AccessRule.For(Counselling),
        ["console.taxonomy"] = AccessRule.For([.. Roles.All]),
        ["console.events"] = AccessRule.For(CaseWorkers),
        ["console.queue.summary"] = AccessRule.For(CaseWorkers),

        // protected content: one item per request, audited before it is served
        ["console.cases.transcript"] = AccessRule.For(Counselling),
        ["console.cases.recording"] = AccessRule.For(Counselling),
        ["console.cases.evidence"] = AccessRule.For(Counselling),
        ["console.cases.reveal-contact"] = AccessRule.For(Counselling),

        // hash curation: a curator who can see the case (CaseService checks the scope a case role gives) confirms an
        // item as abuse material for the verified bank, and votes on the case's matches (docs/hash-bank.md#curators)
        ["console.cases.evidence.confirm"] = AccessRule.For(Roles.HashCurator),
        ["console.cases.known-material.vote"] = AccessRule.For(Roles.HashCurator),

        // a takedown request to the platform a report came from: the case's owner or a supervisor of its team
        ["console.cases.takedown"] = AccessRule.For(Counselling),

        // missed calls to return: the open call-back tasks in scope, the number (audited), the outcome
        ["console.callbacks"] = AccessRule.For(Counselling),
        ["console.callbacks.reveal"] = AccessRule.For(Counselling),
        ["console.callbacks.done"] = AccessRule.For(Counselling),

        // live chat after a handoff: the case's owner or a supervisor (CaseService.OpenConversationAsync)
        ["console.cases.conversation"] = AccessRule.For(Counselling),
        ["console.cases.conversation.reply"] = AccessRule.For(Counselling),
        ["console.cases.conversation.release"] = AccessRule.For(Counselling),
        ["console.cases.sms.reply"] = AccessRule.For(Counselling),

        // referrals: the sender (the case's owner or a supervisor) sends and revokes; the receiving team's people and
        // agency systems (liaison service users) read what is shared and move it (CaseService checks which side)
        ["console.referrals.send"] = AccessRule.For(Counselling),
        ["console.referrals.revoke"] = AccessRule.For(Counselling),
        ["console.referrals.list"] = AccessRule.For(CaseWorkers),
        ["console.referrals.get"] = AccessRule.For(CaseWorkers),
        ["console.referrals.evidence"] = AccessRule.For(CaseWorkers),
        ["console.referrals.acknowledge"] = AccessRule.For(CaseWorkers),
        ["console.referrals.accept"] = AccessRule.For(CaseWorkers),
        ["console.referrals.reject"] = AccessRule.For(CaseWorkers),
        ["console.referrals.done"] = AccessRule.For(CaseWorkers),
        ["console.referrals.escalated"] = AccessRule.For(Roles.Supervisor),

        // people: administrators manage users; supervisors see their teams' people (to assign) and workload
        ["console.users.list"] = AccessRule.For(Roles.Supervisor, Roles.Admin),
        ["console.users.add"] = AccessRule.For(Roles.Admin),
        ["console.users.grant"] = AccessRule.For(Roles.Admin),
        ["console.users.revoke"] = AccessRule.For(Roles.Admin),
        ["console.users.disable"] = AccessRule.For(Roles.Admin),
        ["console.workload"] = AccessRule.For(Roles.Supervisor),

        // the console's pages (ConsolePages): each form action is also checked against its API row above
        ["console.page.home"] = AccessRule.For([.. Roles.All]),
        ["console.page.live"] = AccessRule.For(CaseWorkers),
        ["console.page.case"] = AccessRule.For(CaseWorkers),
        ["console.page.chat"] = AccessRule.For(Counselling),
        ["console.page.sms"] = AccessRule.For(CaseWorkers),
        ["console.page.act"] = AccessRule.For(CaseWorkers),
        ["console.page.supervisor"] = AccessRule.For(Roles.Supervisor),
        ["console.page.form01"] = AccessRule.For(CaseWorkers),
        ["console.page.referrals"] = AccessRule.For(CaseWorkers),
        ["console.page.referral"] = AccessRule.For(CaseWorkers),
        ["console.page.referral.act"] = AccessRule.For(CaseWorkers),
        ["console.page.routing"] = AccessRule.For([.. Roles.All]), // the table holds no case and no person
        // statistics: supervisors (their scope, every number) and analysts (every case, small numbers suppressed);
        // exports and the annual report are suppressed for both (docs/statistics.md#access)
        ["console.page.stats"] = AccessRule.For(Roles.Supervisor, Roles.Analyst),
        ["console.page.stats.export"] = AccessRule.For(Roles.Supervisor, Roles.Analyst),
        ["console.page.stats.annual"] = AccessRule.For(Roles.Supervisor, Roles.Analyst),
        ["console.page.stats.annual.xlsx"] = AccessRule.For(Roles.Supervisor, Roles.Analyst),
        ["console.page.admin"] = AccessRule.For(Roles.Admin),
        ["console.page.admin.add"] = AccessRule.For(Roles.Admin),
        ["console.page.admin.change"] = AccessRule.For(Roles.Admin),
        ["console.assets"] = AccessRule.Anyone,

        // supervision
        ["console.cases.audit"] = AccessRule.For(Roles.Supervisor),
        ["console.overdue"] = AccessRule.For(Roles.Supervisor),
    };

    /// <summary>The header a JSON API call authenticated by the session cookie must carry on a change: a browser cannot send it cross-site without a CORS preflight the hub never grants.</summary>
    public const string RequestHeader = "X-Hub-Request";

    /// <summary>
    /// Applies <see cref="Rules"/> to every endpoint of a group: 401 without a session or token, 403 for a provider
    /// account the hub does not know yet or a role the rule does not name, and the case service's refusals as
    /// RFC 9457 problems (404, 403, 409 with the allowed actions, 400, 412).
    /// </summary>
    public static TBuilder RequireConsoleAccess<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
                var http = context.HttpContext;
                var name = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
                var rule = name is not null && Rules.TryGetValue(name, out var r) ? r
                    : throw new InvalidOperationException($"endpoint '{name}' has no row in ConsoleAccess.Rules: every staff endpoint needs one (refused)");
                var actor = SignIn.ActorOf(http);
                if (!rule.Public)
                {
                    if (actor is null)
                    {
                        return SignIn.IsPending(http)
                            ? Problems.Forbidden("This account has no access yet: an administrator must add it (see /auth/no-access).")
                            : Problems.Unauthorized("Sign in first (GET /auth/login), or send a bearer token.");
                    }

                    if (!rule.Allows(actor))
                    {
                        return Problems.Forbidden("Your role does not allow this.");
                    }

                    if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
                        && !http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        && string.IsNullOrEmpty(http.Request.Headers[RequestHeader]))
                    {
                        return Problems.Forbidden($"A change made with the session cookie must carry the {RequestHeader} header.");
                    }
                }

                try
                {
                    return await next(context);
                }
                catch (CaseOperationException ex)
                {
                    return Problem(ex);
                }
        });
        return builder;
    }

    public static IResult Problem(CaseOperationException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.Kind switch
        {
            CaseProblem.NotFound => Problems.NotFound(ex.Message),
            CaseProblem.Forbidden => Problems.Forbidden(ex.Message),
            CaseProblem.Conflict => Results.Problem(title: "Conflict", detail: ex.Message, statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["allowed"] = ex.Allowed }),
            CaseProblem.PreconditionFailed => Results.Problem(title: "Precondition failed", detail: ex.Message, statusCode: StatusCodes.Status412PreconditionFailed),
            _ => Problems.BadRequest(ex.Message),
        };
    }
}
