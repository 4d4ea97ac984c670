using System.Net;
using System.Text.Json;
using Hub.Functions.Cases;
using Hub.Functions.ConsoleApi;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;

namespace Hub.Functions.Tests.ConsoleApi;

/// <summary>
/// Every staff endpoint the app maps × every role and anonymous, against <see cref="ConsoleAccess.Rules"/>: an
/// endpoint without a row fails here, so a new endpoint cannot ship unprotected.
/// </summary>
public sealed class AccessMatrixTests(ConsoleFixture hub) : IClassFixture<ConsoleFixture>
{
    private static readonly string[] RoleUsers = ["lan", "minh", "hoa", "an", "quan"]; // counsellor, supervisor, liaison, analyst, admin (ConsoleFixture.Staff)

    private IReadOnlyList<RouteEndpoint> StaffEndpoints() =>
        [.. hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/api/console", StringComparison.Ordinal) || raw.StartsWith("/auth", StringComparison.Ordinal)))];

    [Fact]
    public void EveryStaffEndpoint_HasARuleInTheTable_AndEveryRuleAnEndpoint()
    {
        var names = StaffEndpoints().Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "(unnamed) " + e.RoutePattern.RawText).ToList();
        names.Count.ShouldBeGreaterThan(25);
        names.Where(n => !ConsoleAccess.Rules.ContainsKey(n)).ShouldBeEmpty("every endpoint under /api/console and /auth needs a row in ConsoleAccess.Rules");
        ConsoleAccess.Rules.Keys.Except(names).ShouldBeEmpty("a rule for an endpoint that is not mapped is a typo");
    }

    [Fact]
    public async Task EveryApiEndpoint_ByEveryRoleAndAnonymous_AnswersAsTheTableSays()
    {
        var browsers = new Dictionary<string, HttpClient> { ["anonymous"] = hub.NewBrowser() };
        foreach (var login in RoleUsers)
        {
            browsers[login] = await hub.SignInAsync(login);
        }

        var roleOf = ConsoleFixture.Staff.ToDictionary(s => s.Login, s => s.Role);
        var failures = new List<string>();
        var calls = 0;
        foreach (var endpoint in StaffEndpoints().Where(e => e.RoutePattern.RawText!.StartsWith("/api/console", StringComparison.Ordinal)))
        {
            var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName;
            var rule = ConsoleAccess.Rules[name];
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single();
            foreach (var (who, browser) in browsers)
            {
                // A fresh case in Hà Nội's scope for each call, so one role's change does not decide the next one's answer.
                var id = await hub.CaseAsync("01");
                var path = endpoint.RoutePattern.RawText!.Replace("{id}", id, StringComparison.Ordinal).Replace("{n:int}", "1", StringComparison.Ordinal).Replace("{documentName}", "console", StringComparison.Ordinal).Replace("{login}", "nobody-here", StringComparison.Ordinal);
                using var response = method == "GET"
                    ? await browser.GetAsync(path)
                    : await browser.PostAsync(path[ConsoleCalls.Api.Length..], new { reason = "other", body = "ghi chú", login = "lan", team = "province-48", otherCase = id, kind = "related" }, "*");
                calls++;
                var body = await response.Content.ReadAsStringAsync();
                var refusedByRole = response.StatusCode == HttpStatusCode.Forbidden && body.Contains("Your role does not allow this", StringComparison.Ordinal);
                var expected = rule.Public ? "served" : who == "anonymous" ? "401" : rule.Roles.Contains(roleOf[who]) ? "served" : "403";
                var actual = response.StatusCode == HttpStatusCode.Unauthorized ? "401" : refusedByRole ? "403" : "served";
                if (expected != actual || (int)response.StatusCode >= 500)
                {
                    failures.Add($"{method} {endpoint.RoutePattern.RawText} as {who}: expected {expected}, got {(int)response.StatusCode} {body[..Math.Min(body.Length, 160)]}");
                }

                if (rule.Public || who == "anonymous" || actual != "served")
                {
                    continue;
                }

                // An allowed role that sees the case is never told 404 for it (scope is theirs) unless the item itself is absent.
                if (response.StatusCode == HttpStatusCode.NotFound && !body.Contains("no such", StringComparison.Ordinal) && !body.Contains("not held", StringComparison.Ordinal))
                {
                    failures.Add($"{method} {endpoint.RoutePattern.RawText} as {who}: unexpected 404 {body}");
                }
            }
        }

        calls.ShouldBeGreaterThan(100);
        failures.ShouldBeEmpty();
        foreach (var b in browsers.Values)
        {
            b.Dispose();
        }
    }

    [Fact]
    public async Task Analyst_GetsForbidden_OnEveryCaseEndpoint_AndAdmin_SeesNoCaseContent()
    {
        var id = await hub.CaseAsync("01");
        foreach (var login in new[] { "an", "quan" })
        {
            var browser = await hub.SignInAsync(login);
            foreach (var path in new[] { "/cases", $"/cases/{id}", $"/cases/{id}/transcript", $"/cases/{id}/evidence/1", $"/cases/{id}/audit", "/events", "/overdue" })
            {
                using var r = await browser.GetAsync(ConsoleCalls.Api + path);
                r.StatusCode.ShouldBe(HttpStatusCode.Forbidden, login + " " + path);
            }

            using var me = await browser.GetAsync(ConsoleCalls.Api + "/me");
            me.StatusCode.ShouldBe(HttpStatusCode.OK);
            JsonDocument.Parse(await me.Content.ReadAsStringAsync()).RootElement.GetProperty("seesAllCases").GetBoolean().ShouldBeFalse();
        }
    }
}
