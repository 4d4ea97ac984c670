using Hub.Core.Routing;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Cases;

/// <summary>
/// <c>Hub:Routing:Rules:{n}</c>: the routing table (docs/routing.md), read top to bottom, first match wins. None
/// configured: the default table (<see cref="Router.Defaults"/>). A table of one's own replaces the defaults whole.
/// </summary>
public sealed class RoutingOptions
{
    public List<RoutingRule> Rules { get; set; } = [];

    public IReadOnlyList<RoutingRule> Effective => Rules.Count > 0 ? Rules : Router.Defaults;
}

/// <summary>Start-up refuses a routing table with a rule it cannot apply (an unknown category or province, a {province} with none), and referral settings it cannot use.</summary>
internal sealed class RoutingValidation : IValidateOptions<Hosting.HubOptions>
{
    public ValidateOptionsResult Validate(string? name, Hosting.HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Routing.Rules.SelectMany((r, i) => r.Problems($"Hub:Routing:Rules:{i}")).Concat(options.Cases.Referrals.Problems()).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
