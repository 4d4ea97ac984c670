using Hub.Core.Cases;
using Hub.Functions.Cases;

namespace Hub.Functions.ConsoleApi;

/// <summary>
/// People and teams over the console API: administrators manage users (each change audited by
/// <see cref="People"/>), supervisors see their teams' people (to assign) and their workload. A user's provider
/// issuer and subject are shown to administrators only.
/// </summary>
public static class PeopleApi
{
    public sealed record NewUser(string? Login, string? DisplayName, string? Issuer, string? Subject, IReadOnlyList<string>? Teams, IReadOnlyList<string>? Roles);

    public sealed record Membership(string? Role, string? Team);

    public static RouteGroupBuilder MapPeopleApi(this RouteGroupBuilder api)
    {
        api.MapGet("/users", ListAsync).WithName("console.users.list");
        api.MapPost("/users", AddAsync).WithName("console.users.add");
        api.MapPost("/users/{login}/grant", (string login, Membership body, HttpContext h, People people) => ChangeAsync(h, () => people.GrantAsync(SignIn.ActorOf(h)!, login, body.Role, body.Team, h.RequestAborted))).WithName("console.users.grant");
        api.MapPost("/users/{login}/revoke", (string login, Membership body, HttpContext h, People people) => ChangeAsync(h, () => people.RevokeAsync(SignIn.ActorOf(h)!, login, body.Role, body.Team, h.RequestAborted))).WithName("console.users.revoke");
        api.MapPost("/users/{login}/disable", (string login, HttpContext h, People people) => ChangeAsync(h, () => people.DisableAsync(SignIn.ActorOf(h)!, login, h.RequestAborted))).WithName("console.users.disable");
        api.MapGet("/workload", WorkloadAsync).WithName("console.workload");
        return api;
    }

    private static async Task<IResult> ListAsync(HttpContext context, People people, string? team)
    {
        var actor = SignIn.ActorOf(context)!;
        var admin = actor.Has(Roles.Admin);
        if (!admin && team is not null && !actor.In(team))
        {
            return Hosting.Problems.NotFound("no such team among yours");
        }

        var users = (await people.ListUsersAsync(context.RequestAborted))
            .Where(u => (team is null || u.Teams.Contains(team)) && (admin || u.Teams.Any(actor.In)))
            .Select(u => new UserView(u.Login, u.DisplayName, u.Active, u.Roles, u.Teams, admin ? u.Issuer : null, admin ? u.Subject : null));
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(users.ToList());
    }

    private static async Task<IResult> AddAsync(NewUser body, HttpContext context, People people)
    {
        var user = await people.AddUserAsync(SignIn.ActorOf(context)!, body.Login ?? string.Empty, body.DisplayName ?? string.Empty, body.Teams ?? [], body.Roles ?? [], body.Issuer, body.Subject, context.RequestAborted);
        return TypedResults.Created($"{ConsoleApi.Prefix}/users?login={Uri.EscapeDataString(user.Login)}", new UserView(user.Login, user.DisplayName, user.Active, user.Roles, user.Teams, user.Issuer, user.Subject));
    }

    private static async Task<IResult> ChangeAsync(HttpContext context, Func<Task> change)
    {
        await change();
        return TypedResults.NoContent();
    }

    private static async Task<IResult> WorkloadAsync(HttpContext context, CaseService cases, string? team) =>
        TypedResults.Ok(await cases.WorkloadAsync(SignIn.ActorOf(context)!, team, context.RequestAborted));
}
