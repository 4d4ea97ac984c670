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
    private static readonly string[] RoleUsers = ["lan", "minh", "hoa", "an", "quan", "cuc"]; // counsellor, supervisor, liaison, analyst, admin, hash-curator (ConsoleFixture.Staff)

    private IReadOnlyList<RouteEndpoint> StaffEndpoints() =>
        [.. hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/api/console", StringComparison.Ordinal) || raw.StartsWith("/auth", StringComparison.Ordinal) || raw.StartsWith("/console", StringComparison.Ordinal)))];

    [Fact]
    public void EveryStaffEndpoint_HasARuleInTheTable_AndEveryRuleAnEndpoint()
    {
        var names = StaffEndpoints().Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "(unnamed) " + e.RoutePattern.RawText).ToList();
        names.Count.ShouldBeGreaterThan(25);
        names.Where(n => !ConsoleAccess.Rules.ContainsKey(n)).ShouldBeEmpty("every endpoint under /api/console, /auth and /console needs a row in ConsoleAccess.Rules");
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
                var path = endpoint.RoutePattern.RawText!.Replace("{id}", id, StringComparison.Ordinal).Replace("{n:int}", "1", StringComparison.Ordinal).Replace("{documentName}", "console", StringComparison.Ordinal).Replace("{login}", "nobody-here", StringComparison.Ordinal).Replace("{taskId:long}", "999999", StringComparison.Ordinal).Replace("{entry:long}", "999999", StringComparison.Ordinal).Replace("{rid}", "00000000000000000000000000", StringComparison.Ordinal);
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

    /// <summary>
    /// Every console page and form × every role and anonymous: signed out, a page sends to sign-in (a fragment or a
    /// form answers 401); a role the table does not name gets the "no access" page (403); the rest are served. Forms
    /// carry the antiforgery token of the user's own page, as a browser's would.
    /// </summary>
    [Fact]
    public async Task EveryConsolePage_ByEveryRoleAndAnonymous_AnswersAsTheTableSays()
    {
        var browsers = new Dictionary<string, HttpClient> { ["anonymous"] = hub.NewBrowser() };
        foreach (var login in RoleUsers)
        {
            browsers[login] = await hub.SignInAsync(login);
        }

        var roleOf = ConsoleFixture.Staff.ToDictionary(s => s.Login, s => s.Role);
        var fragments = new[] { "console.page.live", "console.page.chat", "console.page.sms" };
        var failures = new List<string>();
        var calls = 0;
        foreach (var endpoint in StaffEndpoints().Where(e => e.RoutePattern.RawText!.StartsWith("/console", StringComparison.Ordinal)))
        {
            var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName;
            var rule = ConsoleAccess.Rules[name];
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single();
            foreach (var (who, browser) in browsers)
            {
                var id = await hub.CaseAsync("01");
                var path = endpoint.RoutePattern.RawText!.Replace("{id}", id, StringComparison.Ordinal).Replace("{action}", name == "console.page.act" ? "note" : "disable", StringComparison.Ordinal)
                    .Replace("{login}", "nobody-here", StringComparison.Ordinal).Replace("{file}", "none.css", StringComparison.Ordinal).Replace("{rid}", "00000000000000000000000000", StringComparison.Ordinal).Replace("{move}", "acknowledge", StringComparison.Ordinal).Replace("{format}", "csv", StringComparison.Ordinal);
                HttpResponseMessage response;
                if (method == "GET")
                {
                    response = await browser.GetAsync(path);
                }
                else
                {
                    var token = who == "anonymous" ? string.Empty : AntiforgeryToken(await FollowAsync(browser, "/console"));
                    response = await browser.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["body"] = "ghi chú", ["login"] = "x", ["displayName"] = "x", ["team"] = "province-01", ["role"] = "counsellor" }));
                }

                using (response)
                {
                    calls++;
                    var body = await response.Content.ReadAsStringAsync();
                    var status = (int)response.StatusCode;
                    var expected = rule.Public ? "served" : who == "anonymous" ? (method == "GET" && !fragments.Contains(name) ? "to sign-in" : "401") : rule.Roles.Contains(roleOf[who]) ? "served" : "403";
                    var actual = status == 401 ? "401"
                        : status == 302 && response.Headers.Location!.OriginalString.StartsWith("/auth/login", StringComparison.Ordinal) ? "to sign-in"
                        : status == 403 && body.Contains("Không có quyền", StringComparison.Ordinal) ? "403"
                        : "served";
                    if (expected != actual || status >= 500 || (actual == "served" && status == 400 && method == "POST" && body.Contains("Phiên biểu mẫu", StringComparison.Ordinal)))
                    {
                        failures.Add($"{method} {endpoint.RoutePattern.RawText} as {who}: expected {expected}, got {status} {body[..Math.Min(body.Length, 160)]}");
                    }
                }
            }
        }

        calls.ShouldBeGreaterThan(40);
        failures.ShouldBeEmpty();

        // A form without its token is refused and changes nothing.
        var lan = browsers["lan"];
        var target = await hub.CaseAsync("01");
        using (var forged = await lan.PostAsync($"/console/cases/{target}/claim", new FormUrlEncodedContent(new Dictionary<string, string> { ["version"] = "1" })))
        {
            forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        (await hub.Services.GetRequiredService<CaseService>().GetDetailAsync(await hub.People.ActorAsync("minh", null, CancellationToken.None), target, CancellationToken.None)).Summary.OwnerId.ShouldBeNull();
        foreach (var b in browsers.Values)
        {
            b.Dispose();
        }
    }

    [Fact]
    public async Task ConsolePages_OutOfScope_AnswerNotFound()
    {
        var hanoi = await hub.CaseAsync("01");
        var tuan = await hub.SignInAsync("tuan"); // Đà Nẵng's liaison
        var ha = await hub.SignInAsync("ha");     // Đà Nẵng's counsellor
        foreach (var (browser, path) in new[] { (tuan, $"/console/cases/{hanoi}"), (ha, $"/console/cases/{hanoi}"), (ha, $"/console/cases/{hanoi}/chat"), (ha, "/console/cases/no-such-case") })
        {
            using var r = await browser.GetAsync(path);
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, path);
            (await r.Content.ReadAsStringAsync()).ShouldContain("Không tìm thấy");
        }

        using var q = await ha.GetAsync("/console?q=" + (await hub.Services.GetRequiredService<CaseService>().GetDetailAsync(await hub.People.ActorAsync("minh", null, CancellationToken.None), hanoi, CancellationToken.None)).Summary.ReferenceCode);
        (await q.Content.ReadAsStringAsync()).ShouldNotContain(hanoi, Case.Sensitive, "another province's case is not in the queue's search either");
    }

    private static async Task<string> FollowAsync(HttpClient browser, string path)
    {
        using var r = await browser.GetAsync(path);
        return r.StatusCode == HttpStatusCode.Redirect ? await browser.GetStringAsync(r.Headers.Location!.OriginalString) : await r.Content.ReadAsStringAsync();
    }

    private static string AntiforgeryToken(string page) =>
        WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value);

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
