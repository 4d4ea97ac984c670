using Hub.Functions.Cases.Database;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Functions.Cases;

/// <summary>The roles the hub gives people (the identity provider proves who someone is; the hub decides what they may do).</summary>
public static class Roles
{
    public const string Counsellor = "counsellor";
    public const string Supervisor = "supervisor";
    public const string Liaison = "liaison";
    public const string Analyst = "analyst";
    public const string Admin = "admin";

    /// <summary>Confirms evidence as abuse material (its hashes go into the hub's verified bank) and votes on matches; held beside a case role, which gives the scope.</summary>
    public const string HashCurator = "hash-curator";

    public static readonly IReadOnlyList<string> All = [Counsellor, Supervisor, Liaison, Analyst, Admin, HashCurator];
}

public sealed record Team(string Id, string Name, string Kind, string? ProvinceCode);

public sealed record User(long Id, string Login, string DisplayName, bool Active, IReadOnlyList<string> Roles, IReadOnlyList<string> Teams, string? Issuer, string? Subject);

/// <summary>
/// Who acts: every service call takes one. <see cref="Source"/> is where the request came from (an address, or
/// <c>admin-cli</c>), kept in the audit row. A null <see cref="UserId"/> is the hub's operator at the server console.
/// </summary>
public sealed record Actor(long? UserId, string Login, IReadOnlySet<string> Roles, IReadOnlySet<string> Teams, string? Source)
{
    public static Actor Console(string source = "admin-cli") => new(null, "admin-cli", new HashSet<string>([Cases.Roles.Admin]), new HashSet<string>(), source);

    public bool Has(string role) => Roles.Contains(role);

    public bool In(string team) => Teams.Contains(team);
}

/// <summary>A refused case or people operation: <see cref="Kind"/> says how the API answers it (404, 403, 409, 400).</summary>
public sealed class CaseOperationException(CaseProblem kind, string message, IReadOnlyList<string>? allowed = null) : Exception(message)
{
    public CaseProblem Kind { get; } = kind;

    /// <summary>For a refused transition: what the lifecycle allows from the case's current state.</summary>
    public IReadOnlyList<string> Allowed { get; } = allowed ?? [];
}

public enum CaseProblem
{
    /// <summary>No such case, or not one the actor may see (the same answer, so scope leaks nothing).</summary>
    NotFound,

    /// <summary>The actor sees the case but their role or team does not allow this.</summary>
    Forbidden,

    /// <summary>Not allowed from the case's current state (the lifecycle refuses it).</summary>
    Conflict,

    /// <summary>The request itself is wrong (an unknown reason, user, team or role).</summary>
    Invalid,

    /// <summary>The caller's precondition (<c>If-Match</c>) names a version the case has moved on from.</summary>
    PreconditionFailed,
}

/// <summary>Teams and users, kept in the hub and managed by admin commands (sign-in comes with the operator API).</summary>
public sealed class People(CaseDatabase database, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<Team>> ListTeamsAsync(CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand("SELECT id, name, kind, province_code FROM teams ORDER BY kind = 'agency', kind = 'province', id");
        var list = new List<Team>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new Team(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3)));
        }

        return list;
    }

    public async Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(UserSelect + " ORDER BY u.login");
        return await ReadUsersAsync(cmd, ct);
    }

    public async Task<User?> FindUserAsync(string login, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(UserSelect + " WHERE u.login = @l");
        cmd.Parameters.Add(Sql.Text("l", login));
        return (await ReadUsersAsync(cmd, ct)).FirstOrDefault();
    }

    /// <summary>The user a sign-in provider's (issuer, subject) pair belongs to, if the hub knows them.</summary>
    public async Task<User?> FindBySubjectAsync(string issuer, string subject, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(UserSelect + " WHERE u.issuer = @i AND u.subject = @s");
        cmd.Parameters.Add(Sql.Text("i", issuer));
        cmd.Parameters.Add(Sql.Text("s", subject));
        return (await ReadUsersAsync(cmd, ct)).FirstOrDefault();
    }

    public async Task<User?> FindByIdAsync(long id, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var cmd = source.CreateCommand(UserSelect + " WHERE u.id = @id");
        cmd.Parameters.Add(new NpgsqlParameter<long>("id", id));
        return (await ReadUsersAsync(cmd, ct)).FirstOrDefault();
    }

    /// <summary>The acting user for a known, active account; null when disabled.</summary>
    public static Actor? ActorOf(User user, string? source)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Active ? new Actor(user.Id, user.Login, new HashSet<string>(user.Roles, StringComparer.Ordinal), new HashSet<string>(user.Teams, StringComparer.Ordinal), source) : null;
    }

    /// <summary>The acting user for <paramref name="login"/>: refused when unknown or disabled.</summary>
    public async Task<Actor> ActorAsync(string login, string? source, CancellationToken ct)
    {
        var u = await FindUserAsync(login, ct) ?? throw new CaseOperationException(CaseProblem.Invalid, $"no user '{login}'");
        if (!u.Active)
        {
            throw new CaseOperationException(CaseProblem.Forbidden, $"user '{login}' is disabled");
        }

        return new Actor(u.Id, u.Login, new HashSet<string>(u.Roles, StringComparer.Ordinal), new HashSet<string>(u.Teams, StringComparer.Ordinal), source);
    }

    public async Task<User> AddUserAsync(Actor actor, string login, string displayName, IReadOnlyList<string> teams, IReadOnlyList<string> roles, string? issuer, string? subject, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        RequireAdmin(actor);
        foreach (var role in roles)
        {
            CheckRole(role);
        }

        await InTransactionAsync(
            async (conn, tx) =>
            {
                long id;
                await using (var insert = new NpgsqlCommand("INSERT INTO users (login, display_name, issuer, subject, created_at) VALUES (@l, @n, @i, @s, @at) RETURNING id", conn, tx))
                {
                    insert.Parameters.Add(Sql.Text("l", login));
                    insert.Parameters.Add(Sql.Text("n", displayName));
                    insert.Parameters.Add(Sql.Text("i", issuer));
                    insert.Parameters.Add(Sql.Text("s", subject));
                    insert.Parameters.Add(Sql.Ts("at", time.GetUtcNow()));
                    try
                    {
                        id = (long)(await insert.ExecuteScalarAsync(ct))!;
                    }
                    catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.CheckViolation)
                    {
                        throw new CaseOperationException(CaseProblem.Invalid, ex.SqlState == PostgresErrorCodes.UniqueViolation
                            ? $"a user '{login}' (or that provider subject) already exists"
                            : "a login is 2–64 characters: lower-case letters, digits, '.', '_' or '-'");
                    }
                }

                foreach (var team in teams)
                {
                    await AddMembershipAsync(conn, tx, id, team, ct);
                }

                foreach (var role in roles)
                {
                    await Sql.ExecAsync(conn, tx, "INSERT INTO user_roles (user_id, role) VALUES (@u, @r) ON CONFLICT DO NOTHING", ct, ("u", id), ("r", role));
                }

                await audit.AppendAsync(conn, tx, actor.UserId, "user.add", null, [login, .. teams.Select(t => "team:" + t), .. roles.Select(r => "role:" + r)], actor.Source, ct);
            },
            ct);
        return (await FindUserAsync(login, ct))!;
    }

    /// <summary>Adds a role and/or a team to a user.</summary>
    public Task GrantAsync(Actor actor, string login, string? role, string? team, CancellationToken ct) => ChangeAsync(actor, login, role, team, grant: true, ct);

    public Task RevokeAsync(Actor actor, string login, string? role, string? team, CancellationToken ct) => ChangeAsync(actor, login, role, team, grant: false, ct);

    /// <summary>A disabled user can do nothing (and is signed out everywhere once sign-in exists); their history stays.</summary>
    public async Task DisableAsync(Actor actor, string login, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        RequireAdmin(actor);
        await InTransactionAsync(
            async (conn, tx) =>
            {
                var n = await Sql.ExecAsync(conn, tx, "UPDATE users SET active = false, disabled_at = @at WHERE login = @l AND active", ct, ("at", time.GetUtcNow()), ("l", login));
                if (n == 0 && await FindUserAsync(login, ct) is null)
                {
                    throw new CaseOperationException(CaseProblem.Invalid, $"no user '{login}'");
                }

                await audit.AppendAsync(conn, tx, actor.UserId, "user.disable", null, [login], actor.Source, ct);
            },
            ct);
    }

    internal async Task InTransactionAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct)
    {
        var source = await database.GetAsync(ct);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await work(conn, tx);
        await tx.CommitAsync(ct);
    }

    private const string UserSelect =
        "SELECT u.id, u.login, u.display_name, u.active, " +
        "ARRAY(SELECT role FROM user_roles WHERE user_id = u.id ORDER BY role), " +
        "ARRAY(SELECT team_id FROM team_members WHERE user_id = u.id ORDER BY team_id), u.issuer, u.subject FROM users u";

    private static async Task<List<User>> ReadUsersAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<User>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new User(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetFieldValue<string[]>(4), r.GetFieldValue<string[]>(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7)));
        }

        return list;
    }

    private async Task ChangeAsync(Actor actor, string login, string? role, string? team, bool grant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        RequireAdmin(actor);
        if (role is null && team is null)
        {
            throw new CaseOperationException(CaseProblem.Invalid, "name a --role or a --team");
        }

        if (role is not null)
        {
            CheckRole(role);
        }

        var user = await FindUserAsync(login, ct) ?? throw new CaseOperationException(CaseProblem.Invalid, $"no user '{login}'");
        await InTransactionAsync(
            async (conn, tx) =>
            {
                if (role is not null)
                {
                    await Sql.ExecAsync(conn, tx, grant ? "INSERT INTO user_roles (user_id, role) VALUES (@u, @r) ON CONFLICT DO NOTHING" : "DELETE FROM user_roles WHERE user_id = @u AND role = @r", ct, ("u", user.Id), ("r", role));
                }

                if (team is not null)
                {
                    if (grant)
                    {
                        await AddMembershipAsync(conn, tx, user.Id, team, ct);
                    }
                    else
                    {
                        await Sql.ExecAsync(conn, tx, "DELETE FROM team_members WHERE user_id = @u AND team_id = @t", ct, ("u", user.Id), ("t", team));
                    }
                }

                await audit.AppendAsync(conn, tx, actor.UserId, grant ? "user.grant" : "user.revoke", null, [login, .. role is null ? Array.Empty<string>() : ["role:" + role], .. team is null ? Array.Empty<string>() : ["team:" + team]], actor.Source, ct);
            },
            ct);
    }

    private static async Task AddMembershipAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long userId, string team, CancellationToken ct)
    {
        try
        {
            await Sql.ExecAsync(conn, tx, "INSERT INTO team_members (team_id, user_id) VALUES (@t, @u) ON CONFLICT DO NOTHING", ct, ("t", team), ("u", userId));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new CaseOperationException(CaseProblem.Invalid, $"no team '{team}' (see 'teams list')");
        }
    }

    private static void RequireAdmin(Actor actor)
    {
        if (!actor.Has(Roles.Admin))
        {
            throw new CaseOperationException(CaseProblem.Forbidden, "only an administrator manages users");
        }
    }

    private static void CheckRole(string role)
    {
        if (!Roles.All.Contains(role, StringComparer.Ordinal))
        {
            throw new CaseOperationException(CaseProblem.Invalid, $"unknown role '{role}' (one of {string.Join(", ", Roles.All)})");
        }
    }
}
