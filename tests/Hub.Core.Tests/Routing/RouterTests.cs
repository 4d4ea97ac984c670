using Hub.Core.Routing;
using Hub.Core.Taxonomy;

namespace Hub.Core.Tests.Routing;

/// <summary>The default routing table, case by case: every category × a sample of provinces (and none), with and without known material.</summary>
public sealed class RouterTests
{
    private static readonly string?[] SampleProvinces = ["01", "48", "79", "96", null];

    public static TheoryData<string, string?, bool> Table()
    {
        var data = new TheoryData<string, string?, bool>();
        foreach (var category in Categories.All.Keys)
        {
            foreach (var province in SampleProvinces)
            {
                data.Add(category, province, false);
            }
        }

        data.Add("ONLINE.BULLYING", "48", true);
        data.Add("ONLINE.BULLYING", null, true);
        return data;
    }

    /// <summary>What the default table must answer, written out from docs/routing.md rather than from the rules.</summary>
    private static (string Team, string[] Referrals) Expected(string category, string? p, bool known)
    {
        var team = p is null ? "central-111" : $"province-{p}";
        string[] sexualCrime = ["OCSEA.CSAM", "OCSEA.SEXTORTION", "OCSEA.LIVESTREAM", "OCSEA.GROOMING"];
        if (sexualCrime.Contains(category) || known)
        {
            return p is null ? (team, ["agency-a05"]) : (team, [$"police-{p}", "agency-a05"]);
        }

        if (category.StartsWith("EXPL.", StringComparison.Ordinal) || category is "VIOL.SEXUAL" or "MISSING")
        {
            return p is null ? (team, []) : (team, [$"police-{p}"]);
        }

        if (category is "ONLINE.HARMFUL_CONTENT" or "OCSEA.OBSCENE_TO_CHILD")
        {
            return (team, ["agency-mcst-broadcasting"]);
        }

        return category is "NON_CASE" or "INFO" ? ("central-111", []) : (team, []);
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Defaults_EveryCategoryAndProvince_TheDocumentedTeamAndReferrals(string category, string? province, bool knownMaterial)
    {
        var decision = Router.Decide(Router.Defaults, new RoutingInput(province, [category], "sms", "normal", knownMaterial));
        var (team, referrals) = Expected(category, province, knownMaterial);
        decision.Matched.ShouldBeTrue();
        decision.Team.ShouldBe(team);
        decision.ProposedReferrals.ShouldBe(referrals);
    }

    [Fact]
    public void Defaults_AreValid() =>
        Router.Defaults.SelectMany((r, i) => r.Problems($"Hub:Routing:Rules:{i}")).ShouldBeEmpty();

    [Fact]
    public void Decide_FirstMatchWins_AndSeveralCategoriesTakeTheFirstRuleThatFits()
    {
        // Bullying that is also sextortion: the sexual-crime rule comes first.
        var decision = Router.Decide(Router.Defaults, new RoutingInput("48", ["ONLINE.BULLYING", "OCSEA.SEXTORTION"], "web", "high"));
        decision.Rule.ShouldBe("online-sexual-crime");
        decision.ProposedReferrals.ShouldBe(["police-48", "agency-a05"]);
    }

    [Fact]
    public void Decide_NoRuleMatches_CentralTeamNothingProposedAndNotMatched()
    {
        RoutingRule[] rules = [new() { Name = "only-voice", Channels = ["voice-111"], Team = "central-111" }];
        var decision = Router.Decide(rules, new RoutingInput("01", ["ONLINE.BULLYING"], "sms", "normal"));
        decision.Matched.ShouldBeFalse();
        decision.Rule.ShouldBeNull();
        decision.Team.ShouldBe("central-111");
        decision.ProposedReferrals.ShouldBeEmpty();
    }

    [Fact]
    public void Matches_ChannelUrgencyAndFamilyConditions()
    {
        var rule = new RoutingRule { Name = "urgent-chat-violence", Channels = ["zalo", "messenger"], Urgencies = ["immediate"], Categories = ["VIOL.*"], Team = "central-111" };
        rule.Matches(new RoutingInput("01", ["VIOL.PHYSICAL"], "zalo", "immediate")).ShouldBeTrue();
        rule.Matches(new RoutingInput("01", ["VIOL.PHYSICAL"], "sms", "immediate")).ShouldBeFalse();
        rule.Matches(new RoutingInput("01", ["VIOL.PHYSICAL"], "zalo", "high")).ShouldBeFalse();
        rule.Matches(new RoutingInput("01", ["ONLINE.BULLYING"], "zalo", "immediate")).ShouldBeFalse();
        rule.Matches(new RoutingInput("01", [], "zalo", "immediate")).ShouldBeFalse();
    }

    [Fact]
    public void Problems_BadRules_Named()
    {
        var problems = new RoutingRule { Name = "", Provinces = ["99"], Categories = ["NOPE", "NOPE.*"], Team = "province-{province}" }.Problems("Hub:Routing:Rules:3").ToList();
        problems.ShouldContain(p => p.Contains("Name is required", StringComparison.Ordinal));
        problems.ShouldContain(p => p.Contains("'99' is not one of the 34", StringComparison.Ordinal));
        problems.ShouldContain(p => p.Contains("'NOPE' is not a hub category", StringComparison.Ordinal));
        problems.ShouldContain(p => p.Contains("'NOPE.*' is not a hub category", StringComparison.Ordinal));
        new RoutingRule { Name = "x", Team = "province-{province}" }.Problems("r").ShouldContain(p => p.Contains("uses {province}", StringComparison.Ordinal));
    }
}
