using Hub.Core.Taxonomy;

namespace Hub.Core.Routing;

/// <summary>What routing looks at: the case's province (null when unknown), categories, channel, urgency, and whether known material matched.</summary>
public sealed record RoutingInput(string? ProvinceCode, IReadOnlyList<string> Categories, string Channel, string Urgency, bool KnownMaterial = false);

/// <summary>The owning team and the referrals to propose, with the rule that decided (null when none matched: the central team, counted).</summary>
public sealed record RoutingDecision(string? Rule, string Team, IReadOnlyList<string> ProposedReferrals)
{
    public bool Matched => Rule is not null;
}

/// <summary>
/// One routing rule (configuration: <c>Hub:Routing:Rules:{n}</c>). Every condition that is set must hold; an empty list
/// means "any". <c>{province}</c> in <see cref="Team"/> and <see cref="Referrals"/> stands for the case's province code.
/// </summary>
public sealed class RoutingRule
{
    public string Name { get; set; } = string.Empty;

    /// <summary>Province codes; <c>known</c> for any of the 34, <c>unknown</c> for none.</summary>
    public List<string> Provinces { get; set; } = [];

    /// <summary>Category codes, or a family with <c>.*</c> (<c>OCSEA.*</c>): the case must have at least one.</summary>
    public List<string> Categories { get; set; } = [];

    public List<string> Channels { get; set; } = [];

    public List<string> Urgencies { get; set; } = [];

    /// <summary>True: only cases whose evidence matched known material; false: only those that did not.</summary>
    public bool? KnownMaterial { get; set; }

    /// <summary>The owning team: <c>province-{province}</c>, <c>central-111</c>…</summary>
    public string Team { get; set; } = string.Empty;

    /// <summary>The external teams to propose a referral to: <c>police-{province}</c> (the provincial police), <c>agency-a05</c>, <c>agency-mcst-broadcasting</c>…</summary>
    public List<string> Referrals { get; set; } = [];

    public bool Matches(RoutingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return (Provinces.Count == 0 || Provinces.Any(p => p switch
                {
                    "known" => input.ProvinceCode is not null,
                    "unknown" => input.ProvinceCode is null,
                    _ => string.Equals(p, input.ProvinceCode, StringComparison.Ordinal),
                }))
            && (Categories.Count == 0 || Categories.Any(c => input.Categories.Any(x => c.EndsWith(".*", StringComparison.Ordinal)
                ? x.StartsWith(c[..^1], StringComparison.Ordinal)
                : string.Equals(c, x, StringComparison.Ordinal))))
            && (Channels.Count == 0 || Channels.Contains(input.Channel, StringComparer.Ordinal))
            && (Urgencies.Count == 0 || Urgencies.Contains(input.Urgency, StringComparer.Ordinal))
            && (KnownMaterial is null || KnownMaterial == input.KnownMaterial);
    }

    /// <summary>What is wrong with the rule (<paramref name="at"/> is its configuration path); empty when valid.</summary>
    public IEnumerable<string> Problems(string at)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return $"{at}:Name is required.";
        }

        if (string.IsNullOrWhiteSpace(Team))
        {
            yield return $"{at}:Team is required.";
        }

        var needsProvince = Team.Contains("{province}", StringComparison.Ordinal) || Referrals.Any(r => r.Contains("{province}", StringComparison.Ordinal));
        if (needsProvince && (Provinces.Count == 0 || Provinces.Contains("unknown", StringComparer.Ordinal)))
        {
            yield return $"{at}: uses {{province}} but can match a case with no province (set Provinces to \"known\" or to codes).";
        }

        foreach (var p in Provinces.Where(p => p is not ("known" or "unknown") && Hub.Core.Taxonomy.Provinces.ByCodeOrNull(p) is null))
        {
            yield return $"{at}:Provinces '{p}' is not one of the 34 provincial codes (or known / unknown).";
        }

        foreach (var c in Categories.Where(c => c.EndsWith(".*", StringComparison.Ordinal)
                     ? !Hub.Core.Taxonomy.Categories.All.Keys.Any(k => k.StartsWith(c[..^1], StringComparison.Ordinal))
                     : !Hub.Core.Taxonomy.Categories.IsValid(c)))
        {
            yield return $"{at}:Categories '{c}' is not a hub category code (docs/taxonomy.md).";
        }
    }
}

/// <summary>
/// First match wins (Primero's and Aselo's model): the rules are read top to bottom and the first whose conditions
/// all hold decides the owning team and the referrals to propose. A case no rule matches goes to the central 111
/// team with nothing proposed, and is counted as such (<see cref="RoutingDecision.Matched"/> is false).
/// </summary>
public static class Router
{
    public const string CentralTeam = "central-111";

    /// <summary>The agencies' liaison teams the hub seeds (V002; docs/cases.md#teams).</summary>
    public const string A05 = "agency-a05";

    public const string Mcst = "agency-mcst-broadcasting";

    private static readonly List<string> SexualCrimeOnline = ["OCSEA.CSAM", "OCSEA.SEXTORTION", "OCSEA.LIVESTREAM", "OCSEA.GROOMING"];

    private static readonly List<string> HarmfulContent = ["ONLINE.HARMFUL_CONTENT", "OCSEA.OBSCENE_TO_CHILD"];

    public static RoutingDecision Decide(IReadOnlyList<RoutingRule> rules, RoutingInput input)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(input);
        foreach (var rule in rules)
        {
            if (rule.Matches(input))
            {
                string Fill(string s) => s.Replace("{province}", input.ProvinceCode ?? string.Empty, StringComparison.Ordinal);
                return new RoutingDecision(rule.Name, Fill(rule.Team), rule.Referrals.Select(Fill).Distinct(StringComparer.Ordinal).ToList());
            }
        }

        return new RoutingDecision(null, CentralTeam, []);
    }

    /// <summary>
    /// The default table (docs/routing.md). The owning team is the province's child-protection team when the province is
    /// known (Decree 56 Art. 26.1: the locality assesses), else 111's central team. Proposed on top: for crimes against
    /// children online, the provincial police and A05 (Art. 25.3); for trafficking and contact abuse, the provincial
    /// police; for harmful content, MCST's electronic-information department (takedown, since March 2025). Every case
    /// matches a rule of this table; a table of one's own may leave gaps, which the fallback catches.
    /// </summary>
    public static IReadOnlyList<RoutingRule> Defaults { get; } =
    [
        new() { Name = "online-sexual-crime", Provinces = ["known"], Categories = [.. SexualCrimeOnline], Team = "province-{province}", Referrals = ["police-{province}", A05] },
        new() { Name = "known-material", Provinces = ["known"], KnownMaterial = true, Team = "province-{province}", Referrals = ["police-{province}", A05] },
        new() { Name = "online-sexual-crime-no-province", Provinces = ["unknown"], Categories = [.. SexualCrimeOnline], Team = CentralTeam, Referrals = [A05] },
        new() { Name = "known-material-no-province", Provinces = ["unknown"], KnownMaterial = true, Team = CentralTeam, Referrals = [A05] },
        new() { Name = "trafficking-or-contact-abuse", Provinces = ["known"], Categories = ["EXPL.*", "VIOL.SEXUAL", "MISSING"], Team = "province-{province}", Referrals = ["police-{province}"] },
        new() { Name = "harmful-content", Provinces = ["known"], Categories = [.. HarmfulContent], Team = "province-{province}", Referrals = [Mcst] },
        new() { Name = "harmful-content-no-province", Provinces = ["unknown"], Categories = [.. HarmfulContent], Team = CentralTeam, Referrals = [Mcst] },
        new() { Name = "not-a-case", Categories = ["NON_CASE", "INFO"], Team = CentralTeam },
        new() { Name = "province", Provinces = ["known"], Team = "province-{province}" },
        new() { Name = "no-province", Provinces = ["unknown"], Team = CentralTeam },
    ];
}
