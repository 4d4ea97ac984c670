using System.Globalization;
using System.Text.Json;
using Hub.Core.Cases;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Privacy;

namespace Hub.Functions.Admin;

/// <summary>
/// <c>users …</c>, <c>teams list</c>, <c>cases …</c> and <c>audit verify</c>: the back office from the server's console
/// until the operator API exists. Case commands act as a named user (<c>--as LOGIN</c>), with that user's roles and
/// teams, and are audited as theirs; user management acts as the console's administrator.
/// </summary>
internal static class CaseCommands
{
    public const string Usage = """
          users add LOGIN --name NAME [--team T]... [--role R]... [--issuer URL --subject SUB]
          users grant|revoke LOGIN [--role R] [--team T]
          users disable LOGIN
          users list
          teams list
          cases list [--team T] [--status S] [--overdue] [--as LOGIN]
          cases show CODE --as LOGIN          the case's record, history and notes (an audited read)
          cases claim CODE --as LOGIN
          cases assign CODE --to LOGIN --as LOGIN
          cases release CODE --reason TEXT --as LOGIN
          cases close CODE --reason resolved|referred-and-done|no-contact-possible|not-child-protection|duplicate|prank|other [--note TEXT] --as LOGIN
          cases reopen CODE --reason TEXT --as LOGIN
          cases transfer CODE --to-team T --reason TEXT --as LOGIN;  cases accept|reject CODE [--reason TEXT] --as LOGIN
          cases note CODE TEXT [--corrects ID] --as LOGIN
          cases link CODE OTHER --kind related|duplicate-of --reason TEXT --as LOGIN
          cases block CODE --for 24h|30d|1y --reason TEXT --as LOGIN
          cases callbacks --as LOGIN;  cases callback reveal|done ID [--outcome TEXT] --as LOGIN
          cases overdue-summary               overdue cases per team and urgency
          cases seed N [--open M]             synthetic cases for benchmarks (Development only)
          cases stats-check [--rebuild]       compare the statistics' roll-up with the cases; --rebuild recomputes it
          audit verify                        walk the audit trail's hash chain; report the first break
          cases migrate [--grant ROLE]        apply the schema migrations (as the tables' owner); on Azure, --grant
                                              creates the app identity's Entra role and grants it hub_app

        """;

    public static async Task<int> RunAsync(IServiceProvider sp, string[] args, TextWriter output)
    {
        var a = new Args(args);
        var people = sp.GetRequiredService<People>();
        var cases = sp.GetRequiredService<CaseService>();
        var ct = CancellationToken.None;
        try
        {
            switch (a.Verb, a.Sub)
            {
                case ("users", "add"):
                    var u = await people.AddUserAsync(Actor.Console(), a.Positional(0), a.Option("--name") ?? a.Positional(0), a.Options("--team"), a.Options("--role"), a.Option("--issuer"), a.Option("--subject"), ct);
                    output.WriteLine($"Added {u.Login} (id {u.Id}): roles {string.Join(",", u.Roles)}; teams {string.Join(",", u.Teams)}");
                    return 0;
                case ("users", "grant"):
                    await people.GrantAsync(Actor.Console(), a.Positional(0), a.Option("--role"), a.Option("--team"), ct);
                    output.WriteLine($"Granted to {a.Positional(0)}.");
                    return 0;
                case ("users", "revoke"):
                    await people.RevokeAsync(Actor.Console(), a.Positional(0), a.Option("--role"), a.Option("--team"), ct);
                    output.WriteLine($"Revoked from {a.Positional(0)}.");
                    return 0;
                case ("users", "disable"):
                    await people.DisableAsync(Actor.Console(), a.Positional(0), ct);
                    output.WriteLine($"Disabled {a.Positional(0)}.");
                    return 0;
                case ("users", "list"):
                    foreach (var x in await people.ListUsersAsync(ct))
                    {
                        output.WriteLine($"{x.Login,-20} {(x.Active ? "active  " : "disabled")} roles {string.Join(",", x.Roles),-22} teams {string.Join(",", x.Teams)}  {x.DisplayName}");
                    }

                    return 0;
                case ("teams", "list"):
                    foreach (var t in await people.ListTeamsAsync(ct))
                    {
                        output.WriteLine($"{t.Id,-26} {t.Kind,-8} {t.Name}");
                    }

                    return 0;
                case ("audit", "verify"):
                    var v = await sp.GetRequiredService<AuditLog>().VerifyAsync(ct);
                    output.WriteLine(v.Intact ? $"Audit chain intact: {v.Rows} row(s)." : $"Audit chain BROKEN at row {v.BrokenAt}: {v.Problem}");
                    return v.Intact ? 0 : 1;
                case ("audit", "show"):
                    // The server console's operator reads a case's trail by its id or reference code.
                    var store = sp.GetRequiredService<ICaseStore>();
                    var key = a.Positional(0);
                    var found = Hub.Core.Envelope.ReferenceCode.Parse(key) is { } refCode ? await store.FindByReferenceCodeAsync(refCode, ct) : await store.GetAsync(key, ct);
                    if (found is null)
                    {
                        output.WriteLine($"No case '{key}'.");
                        return 4;
                    }

                    foreach (var row in await sp.GetRequiredService<AuditLog>().ForCaseAsync(found.Id, ct))
                    {
                        output.WriteLine($"{row.Id,6}  {row.At:u}  user {row.UserId?.ToString(CultureInfo.InvariantCulture) ?? "-",-4} {row.Action,-16} {string.Join(",", row.Fields)}  from {row.Source ?? "-"}");
                    }

                    return 0;
                case ("cases", "seed"):
                    if (!sp.GetRequiredService<IHostEnvironment>().IsDevelopment())
                    {
                        output.WriteLine("cases seed writes synthetic cases: refused outside Development.");
                        return 2;
                    }

                    var count = int.Parse(a.Positional(0), NumberStyles.None, CultureInfo.InvariantCulture);
                    var open = int.TryParse(a.Option("--open"), NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : Math.Min(count, 5000);
                    await CaseSeeder.SeedAsync(await sp.GetRequiredService<CaseDatabase>().GetAsync(ct), count, Math.Min(open, count), CaseSeeder.DefaultReporters, sp.GetRequiredService<TimeProvider>().GetUtcNow(), ct);
                    output.WriteLine($"Seeded {count} synthetic case(s), {Math.Min(open, count)} waiting.");
                    return 0;
                case ("cases", "stats-check"):
                    return await StatsCheckAsync(await sp.GetRequiredService<CaseDatabase>().GetAsync(ct), a.Flag("--rebuild"), output, ct);
                case ("cases", "migrate"):
                    var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hosting.HubOptions>>().Value.Cases;
                    var target = options.AdminConnectionString ?? options.ConnectionString;
                    if (string.IsNullOrWhiteSpace(target))
                    {
                        await sp.GetRequiredService<CaseDatabase>().GetAsync(ct); // Development: the private cluster, migrated on open
                        output.WriteLine("Migrated the local case store.");
                        return 0;
                    }

                    var applied = await Migrator.MigrateAsync(target, ct);
                    output.WriteLine(applied.Count == 0 ? "The schema is up to date." : $"Applied {string.Join(", ", applied.Select(m => $"V{m:000}"))}.");
                    if (a.Option("--grant") is { } grantee)
                    {
                        await Migrator.GrantAppRoleAsync(target, grantee, ct);
                        output.WriteLine($"{grantee} holds {CaseDatabase.AppRole}.");
                    }

                    return 0;
                case ("cases", "overdue-summary"):
                    foreach (var row in await cases.OverdueByTeamAsync(ct))
                    {
                        output.WriteLine($"{row.TeamId,-26} {row.Urgency,-9} first response {row.FirstResponse,5}   12-hour intervention {row.Intervention,5}");
                    }

                    return 0;
            }

            if (a.Verb != "cases")
            {
                return -1;
            }

            var actor = a.Option("--as") is { } login ? await people.ActorAsync(login, "admin-cli", ct) : Actor.Console();
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
            switch (a.Sub)
            {
                case "list":
                    IReadOnlyList<CaseSummary> rows;
                    if (a.Flag("--overdue"))
                    {
                        rows = await cases.OverdueAsync(actor, a.Option("--team"), 200, ct);
                    }
                    else if (a.Option("--team") is { } team)
                    {
                        var statuses = a.Option("--status") is { } s ? [CaseLifecycle.ParseStatus(s)] : (IReadOnlyList<CaseStatus>?)null;
                        rows = await cases.QueueAsync(actor, team, statuses, null, 100, ct);
                    }
                    else
                    {
                        output.WriteLine("Name a --team (see 'teams list'), or --overdue.");
                        return 2;
                    }

                    foreach (var c in rows)
                    {
                        var late = c.InterventionOverdue(now) ? "INTERVENTION OVERDUE" : c.FirstResponseOverdue(now) ? "overdue" : $"due {c.FirstResponseDue:u}";
                        output.WriteLine($"{c.ReferenceCode}  {c.ReceivedAt:u}  {c.Channel,-9} {c.Urgency,-9} {CaseLifecycle.Name(c.Status),-8} {c.TeamId,-14} owner {c.OwnerId?.ToString(CultureInfo.InvariantCulture) ?? "-",-4} {late}{(c.LowPriorityReason is null ? string.Empty : "  [" + c.LowPriorityReason + "]")}");
                    }

                    output.WriteLine($"{rows.Count} case(s)");
                    return 0;
                case "show":
                    var d = await cases.GetDetailAsync(actor, a.Positional(0), ct);
                    output.WriteLine($"Case {d.Case.ReferenceCode} ({d.Case.Id}): {CaseLifecycle.Name(d.Summary.Status)}{(d.CloseReason is null ? string.Empty : " (" + d.CloseReason + ")")}, team {d.Summary.TeamId}, owner {d.Summary.OwnerId?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
                    output.WriteLine($"  urgency {d.Case.Urgency}, received {d.Case.ReceivedAt:u}, first response due {d.Summary.FirstResponseDue:u}{(d.Summary.InterventionDue is { } iv ? $", intervention due {iv:u}" : string.Empty)}");
                    output.WriteLine($"  same reporter: {d.EarlierReportsBySameReporter} earlier report(s), {d.EarlierCasesBySameReporter} earlier case(s){(d.Summary.LowPriorityReason is null ? string.Empty : "; " + d.Summary.LowPriorityReason)}");
                    foreach (var h in d.History)
                    {
                        output.WriteLine($"  {h.At:u}  {h.Action,-20} {h.FromStatus ?? "-"} -> {h.ToStatus ?? "-"}  owner {h.FromOwner?.ToString(CultureInfo.InvariantCulture) ?? "-"} -> {h.ToOwner?.ToString(CultureInfo.InvariantCulture) ?? "-"}  by {h.ActorId?.ToString(CultureInfo.InvariantCulture) ?? "hub"}  {h.Reason}");
                    }

                    foreach (var n in d.Notes)
                    {
                        output.WriteLine($"  note {n.Id} by {n.AuthorId} at {n.At:u}{(n.Corrects is { } k ? $" (corrects {k})" : string.Empty)}: {n.Body}");
                    }

                    foreach (var l in d.Links)
                    {
                        output.WriteLine($"  link {l.Kind} {l.OtherCaseId}: {l.Reason}");
                    }

                    foreach (var cb in d.Callbacks)
                    {
                        output.WriteLine($"  call-back {cb.Id}: {cb.Status}, due {cb.DueAt:u}");
                    }

                    using (var doc = JsonDocument.Parse(d.Case.Envelope))
                    {
                        output.WriteLine(JsonSerializer.Serialize(doc.RootElement, Indented));
                    }

                    return 0;
                case "claim":
                    await cases.ClaimAsync(actor, a.Positional(0), ct);
                    break;
                case "assign":
                    await cases.AssignAsync(actor, a.Positional(0), a.Required("--to"), a.Option("--reason"), ct);
                    break;
                case "release":
                    await cases.ReleaseAsync(actor, a.Positional(0), a.Required("--reason"), ct);
                    break;
                case "close":
                    if (!CaseLifecycle.TryParseCloseReason(a.Option("--reason"), out var reason))
                    {
                        output.WriteLine("--reason is one of: " + string.Join(", ", Enum.GetValues<CloseReason>().Select(CaseLifecycle.Name)));
                        return 2;
                    }

                    await cases.CloseAsync(actor, a.Positional(0), reason, a.Option("--note"), ct);
                    break;
                case "reopen":
                    await cases.ReopenAsync(actor, a.Positional(0), a.Required("--reason"), ct);
                    break;
                case "transfer":
                    await cases.RequestTransferAsync(actor, a.Positional(0), a.Required("--to-team"), a.Required("--reason"), ct);
                    break;
                case "accept":
                    await cases.AcceptTransferAsync(actor, a.Positional(0), ct);
                    break;
                case "reject":
                    await cases.RejectTransferAsync(actor, a.Positional(0), a.Required("--reason"), ct);
                    break;
                case "note":
                    var id = await cases.AddNoteAsync(actor, a.Positional(0), a.Positional(1), long.TryParse(a.Option("--corrects"), NumberStyles.None, CultureInfo.InvariantCulture, out var k2) ? k2 : null, ct);
                    output.WriteLine($"Note {id.Id} added.");
                    return 0;
                case "link":
                    await cases.LinkAsync(actor, a.Positional(0), a.Positional(1), a.Required("--kind"), a.Required("--reason"), ct);
                    break;
                case "block":
                    await cases.BlockReporterAsync(actor, a.Positional(0), a.Required("--for"), a.Required("--reason"), ct);
                    break;
                case "callbacks":
                    foreach (var t in await cases.OpenCallbacksAsync(actor, ct))
                    {
                        output.WriteLine($"{t.Id,6}  case {t.CaseId}  due {t.DueAt:u}");
                    }

                    return 0;
                case "callback" when a.Positional(0) == "reveal":
                    var privacy = sp.GetRequiredService<PrivacyServices>();
                    output.WriteLine(await cases.RevealCallbackNumberAsync(actor, long.Parse(a.Positional(1), CultureInfo.InvariantCulture), c => privacy.Cipher.Unprotect(c, PrivacyServices.ContactPurpose), ct));
                    return 0;
                case "callback" when a.Positional(0) == "done":
                    await cases.CompleteCallbackAsync(actor, long.Parse(a.Positional(1), CultureInfo.InvariantCulture), a.Required("--outcome"), ct);
                    break;
                default:
                    return -1;
            }

            output.WriteLine("Done.");
            return 0;
        }
        catch (CaseOperationException ex)
        {
            output.WriteLine($"Refused: {ex.Message}");
            return ex.Kind switch { CaseProblem.NotFound => 4, CaseProblem.Forbidden => 5, CaseProblem.Conflict => 6, _ => 2 };
        }
        catch (ArgumentException ex)
        {
            output.WriteLine(ex.Message);
            return 2;
        }
    }

    /// <summary>
    /// How far the statistics' roll-up is from the cases (docs/statistics.md#speed): 0 when exact. --rebuild recomputes it
    /// first (writers wait while it runs), after a bulk load or if the check ever finds a difference.
    /// </summary>
    private static async Task<int> StatsCheckAsync(Npgsql.NpgsqlDataSource db, bool rebuild, TextWriter output, CancellationToken ct)
    {
        if (rebuild)
        {
            await using var cmd = db.CreateCommand("SELECT stats_rebuild()");
            cmd.CommandTimeout = 0;
            output.WriteLine($"Rebuilt the statistics of {(long)(await cmd.ExecuteScalarAsync(ct))!} case(s).");
        }

        await using var check = db.CreateCommand("SELECT stats_check()");
        check.CommandTimeout = 0;
        var off = (long)(await check.ExecuteScalarAsync(ct))!;
        output.WriteLine(off == 0 ? "The statistics match the cases." : $"The statistics differ from the cases in {off} row(s): run cases stats-check --rebuild.");
        return off == 0 ? 0 : 1;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Positional arguments after the verb pair, and <c>--name value</c> options (repeatable).</summary>
    private sealed class Args
    {
        private readonly List<string> _positional = [];
        private readonly List<(string Name, string? Value)> _options = [];
        private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--overdue", "--rebuild" };

        public Args(string[] args)
        {
            Verb = args.ElementAtOrDefault(0) ?? string.Empty;
            Sub = args.ElementAtOrDefault(1) ?? string.Empty;
            for (var i = 2; i < args.Length; i++)
            {
                if (args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    var value = Flags.Contains(args[i]) || i + 1 >= args.Length ? null : args[++i];
                    _options.Add((args[i - (value is null ? 0 : 1)], value));
                }
                else
                {
                    _positional.Add(args[i]);
                }
            }
        }

        public string Verb { get; }

        public string Sub { get; }

        public string Positional(int i) => _positional.ElementAtOrDefault(i) ?? throw new ArgumentException($"missing argument {i + 1} (see usage)");

        public string? Option(string name) => _options.LastOrDefault(o => o.Name == name).Value;

        public List<string> Options(string name) => _options.Where(o => o.Name == name && o.Value is not null).Select(o => o.Value!).ToList();

        public bool Flag(string name) => _options.Any(o => o.Name == name);

        public string Required(string name) => Option(name) ?? throw new ArgumentException($"{name} is required");
    }
}
