using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hub.Functions.Cases;
using Hub.Functions.ConsoleApi;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.ConsoleApi;

/// <summary>Sign-in through the real OpenID Connect flow, each fault a provider (or an attacker) can bring, bearer tokens, and the session's rules.</summary>
public sealed class SignInTests(ConsoleFixture hub) : IClassFixture<ConsoleFixture>
{
    private const string Me = "/api/console/v1/me";

    [Fact]
    public async Task CodeFlow_KnownUser_GetsAHardenedSessionCookie_AndTheirHubRolesAndTeams()
    {
        var (browser, last, _) = await hub.SignInFlowAsync("lan");
        last.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var cookie = last.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-hub.session=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("secure", Case.Insensitive);
        cookie.ShouldContain("samesite=lax", Case.Insensitive);
        cookie.ShouldContain("path=/", Case.Insensitive);
        cookie.ShouldNotContain(TestIdentityProvider.ClientSecret);

        using var meResponse = await browser.GetAsync(Me);
        meResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        var me = await meResponse.Content.ReadFromJsonAsync<JsonElement>();
        me.GetProperty("login").GetString().ShouldBe("lan");
        me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).ShouldBe([Roles.Counsellor]);
        me.GetProperty("teams").EnumerateArray().Select(r => r.GetString()).ShouldBe(["province-01"]);
    }

    [Theory]
    [InlineData(IdpFault.WrongIssuer)]
    [InlineData(IdpFault.WrongAudience)]
    [InlineData(IdpFault.Expired)]
    [InlineData(IdpFault.BadSignature)]
    public async Task CodeFlow_TokenTheHubMustNotTrust_IsRefused_AndNoSessionExists(IdpFault fault)
    {
        hub.Idp.Fault = fault;
        try
        {
            var (browser, last, _) = await hub.SignInFlowAsync("lan");
            last.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            last.Headers.Location!.OriginalString.ShouldBe("/auth/error");
            last.Headers.TryGetValues("Set-Cookie", out var cookies).ShouldBeTrue();
            cookies!.ShouldNotContain(c => c.StartsWith("__Host-hub.session=", StringComparison.Ordinal) && !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.Ordinal));
            (await browser.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            using var error = await browser.GetAsync("/auth/error");
            (await error.Content.ReadAsStringAsync()).ShouldContain("Đăng nhập không thành công");
        }
        finally
        {
            hub.Idp.Fault = IdpFault.None;
        }
    }

    [Fact]
    public async Task CodeFlow_ReplayedCallback_IsRefused_TheCodeIsNotRedeemedTwice()
    {
        var (browser, first, callback) = await hub.SignInFlowAsync("lan");
        first.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        first.Headers.Location!.OriginalString.ShouldBe(Me);

        // The same callback again, from the same browser (its one-time correlation cookie is spent) and from another.
        using var again = await browser.GetAsync(callback.PathAndQuery);
        again.Headers.Location!.OriginalString.ShouldBe("/auth/error");
        using var stranger = hub.NewBrowser();
        using var stolen = await stranger.GetAsync(callback.PathAndQuery);
        stolen.Headers.Location!.OriginalString.ShouldBe("/auth/error");
        (await stranger.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task CodeFlow_ReplayedCode_WithTheStolenFlowCookies_IsRefusedByTheProvider_AndGivesNoSession()
    {
        var replayedBefore = hub.Idp.ReplayedCodes;
        var (_, first, callback, flowCookies) = await hub.SignInFlowWithCookiesAsync("lan");
        first.Headers.Location!.OriginalString.ShouldBe(Me);

        // Someone who copied the callback URL and the browser's one-time cookies: the hub redeems the code again, the provider refuses it.
        using var attacker = hub.Factory.CreateClient(new() { BaseAddress = new Uri(HubFixture.PublicBaseUrl), AllowAutoRedirect = false, HandleCookies = false });
        using var replay = new HttpRequestMessage(HttpMethod.Get, callback.PathAndQuery);
        replay.Headers.Add("Cookie", flowCookies);
        using var refused = await attacker.SendAsync(replay);
        refused.Headers.Location!.OriginalString.ShouldBe("/auth/error");
        refused.Headers.TryGetValues("Set-Cookie", out var set);
        (set ?? []).ShouldNotContain(c => c.StartsWith("__Host-hub.session=", StringComparison.Ordinal) && !c.StartsWith("__Host-hub.session=;", StringComparison.Ordinal));
        hub.Idp.ReplayedCodes.ShouldBe(replayedBefore + 1, "the code reached the provider a second time and was refused there");
    }

    [Fact]
    public async Task CodeFlow_UnknownAccount_GetsNoAccessYet_AndCanDoNothing_UntilAnAdminAddsIt()
    {
        var subject = "new-" + Guid.NewGuid().ToString("N")[..8];
        var (browser, last, _) = await hub.SignInFlowAsync(subject);
        last.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using (var me = await browser.GetAsync(Me))
        {
            me.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await me.Content.ReadAsStringAsync()).ShouldContain("no access yet");
        }

        (await browser.GetAsync("/api/console/v1/cases")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        using (var page = await browser.GetAsync("/auth/no-access"))
        {
            var html = await page.Content.ReadAsStringAsync();
            html.ShouldContain("Chưa có quyền truy cập");
            html.ShouldContain(subject, Case.Sensitive, "the page shows what the administrator needs to add the account");
        }

        await hub.People.AddUserAsync(Actor.Console("test"), subject, "Người mới", ["province-01"], [Roles.Counsellor], hub.Idp.Issuer, subject, CancellationToken.None);
        (await browser.GetFromJsonAsync<JsonElement>(Me)).GetProperty("login").GetString().ShouldBe(subject);
    }

    [Fact]
    public async Task DisablingAUser_EndsTheirSessionsAtOnce()
    {
        var subject = "leaver-" + Guid.NewGuid().ToString("N")[..8];
        await hub.People.AddUserAsync(Actor.Console("test"), subject, "Sắp nghỉ", ["province-01"], [Roles.Counsellor], hub.Idp.Issuer, subject, CancellationToken.None);
        var laptop = await hub.SignInAsync(subject);
        var phone = await hub.SignInAsync(subject);
        (await laptop.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await hub.People.DisableAsync(Actor.Console("test"), subject, CancellationToken.None);

        using var refused = await laptop.GetAsync(Me);
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        refused.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("__Host-hub.session=;", StringComparison.Ordinal), "the cookie is cleared");
        (await phone.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var (again, _, _) = await hub.SignInFlowAsync(subject);
        (await again.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a disabled account cannot sign in again");
    }

    [Fact]
    public async Task BearerToken_FromClientCredentials_ActsAsItsServiceUser_AndForgedOrMisaddressedTokensAreRefused()
    {
        using var agency = hub.Factory.CreateClient(new() { BaseAddress = new Uri(HubFixture.PublicBaseUrl) });
        using var idp = new HttpClient();
        using var grant = await idp.PostAsync(hub.Idp.Issuer + "/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestIdentityProvider.MachineClientId,
            ["client_secret"] = TestIdentityProvider.MachineClientSecret,
        }));
        var token = (await grant.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();

        agency.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await agency.GetFromJsonAsync<JsonElement>(Me)).GetProperty("login").GetString().ShouldBe("a05-system");

        foreach (var fault in new[] { IdpFault.WrongAudience, IdpFault.WrongIssuer, IdpFault.Expired, IdpFault.BadSignature })
        {
            hub.Idp.Fault = fault;
            agency.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", hub.Idp.MachineToken());
            hub.Idp.Fault = IdpFault.None;
            (await agency.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, fault.ToString());
        }

        agency.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        (await agency.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        agency.DefaultRequestHeaders.Authorization = null;
        (await agency.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ChangeWithTheSessionCookie_WithoutTheRequestHeader_IsRefused_AndChangesNothing()
    {
        var id = await hub.CaseAsync();
        var lan = await hub.SignInAsync("lan");
        var (_, etag) = await lan.GetCaseAsync(id);
        using var forged = await lan.PostAsync($"/cases/{id}/claim", null, etag, header: false);
        forged.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await forged.Content.ReadAsStringAsync()).ShouldContain("X-Hub-Request");
        (await lan.GetCaseAsync(id)).Body.GetProperty("case").GetProperty("status").GetString().ShouldBe("new");
    }

    [Fact]
    public async Task StaffResponses_CarryAStrictContentSecurityPolicy_AndTheOtherProtectiveHeaders()
    {
        var lan = await hub.SignInAsync("lan");
        foreach (var path in new[] { Me, "/auth/no-access", "/auth/signed-out" })
        {
            using var r = await lan.GetAsync(path);
            var csp = r.Headers.GetValues("Content-Security-Policy").Single();
            csp.ShouldContain("default-src 'none'");
            csp.ShouldContain("frame-ancestors 'none'");
            csp.ShouldContain("script-src 'self'");
            csp.ShouldNotContain("unsafe-inline");
            r.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
            r.Headers.GetValues("Strict-Transport-Security").Single().ShouldStartWith("max-age=");
            r.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        }
    }

    [Theory]
    [InlineData(0, 1, true)]     // fresh
    [InlineData(11, 1, true)]    // busy all day: within 12 hours
    [InlineData(13, 1, false)]   // past the absolute lifetime, however recently used
    [InlineData(1, -1, false)]   // idle past its (sliding) expiry
    public async Task Session_EndsAtItsAbsoluteLifetime_AndWhenIdle(int signedInHoursAgo, int expiresInMinutes, bool accepted)
    {
        var lan = (await hub.People.FindUserAsync("lan", CancellationToken.None))!;
        var options = hub.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(SignIn.CookieScheme);
        var now = TimeProvider.System.GetUtcNow();
        var ticket = new AuthenticationTicket(
            SignIn.Session(hub.Idp.Issuer, "lan", lan.DisplayName, lan.Id, now.AddHours(-signedInHoursAgo)),
            new AuthenticationProperties { IssuedUtc = now.AddMinutes(-5), ExpiresUtc = now.AddMinutes(expiresInMinutes) },
            SignIn.CookieScheme);
        using var client = hub.Factory.CreateClient(new() { BaseAddress = new Uri(HubFixture.PublicBaseUrl), AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, Me);
        request.Headers.Add("Cookie", "__Host-hub.session=" + options.TicketDataFormat.Protect(ticket));
        using var r = await client.SendAsync(request);
        r.StatusCode.ShouldBe(accepted ? HttpStatusCode.OK : HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SessionKeyRing_IsSharedThroughBlobStorage_AndEncryptedAtRest()
    {
        await hub.SignInAsync("lan");
        var container = hub.Storage.Container(SessionKeys.Container);
        var blobs = new List<string>();
        await foreach (var b in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "dataprotection/", CancellationToken.None))
        {
            blobs.Add(b.Name);
        }

        blobs.ShouldNotBeEmpty("every instance reads the same key ring");
        var xml = (await container.GetBlobClient(blobs[0]).DownloadContentAsync()).Value.Content.ToString();
        xml.ShouldContain("hubSealed");
        xml.ShouldNotContain("<masterKey", Case.Sensitive, "the key itself never sits in storage in clear");
    }

    [Fact]
    public async Task SignInFlows_LeaveNoSecretOrTokenInTheLogs()
    {
        var (_, last, callback) = await hub.SignInFlowAsync("lan");
        last.Dispose();
        var code = System.Web.HttpUtility.ParseQueryString(callback.Query)["code"]!;
        var token = hub.Idp.MachineToken();
        using var agency = hub.Factory.CreateClient(new() { BaseAddress = new Uri(HubFixture.PublicBaseUrl) });
        agency.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await agency.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var logs = hub.Logs.AllText;
        logs.ShouldNotContain(TestIdentityProvider.ClientSecret);
        logs.ShouldNotContain(code);
        logs.ShouldNotContain(token);
        logs.ShouldNotContain(token.Split('.')[1], Case.Sensitive, "not even the token's payload");
    }

    [Theory]
    [InlineData("203.0.113.9", true, "198.51.100.7, 203.0.113.9", "203.0.113.9")]        // standalone: the connection, never a header
    [InlineData("127.0.0.1", true, "198.51.100.7, 203.0.113.9:50312", "203.0.113.9")]    // behind the Functions host: the entry Azure appended
    [InlineData("127.0.0.1", false, "198.51.100.7", "127.0.0.1")]                       // loopback but not custom-handler mode: no trust
    public void ClientAddress_TrustsForwardedForOnlyFromTheFunctionsHost(string remote, bool customHandler, string forwarded, string expected)
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [Hub.Functions.Hosting.HubApp.CustomHandlerPortVariable] = customHandler ? "7777" : null,
        }).Build()).BuildServiceProvider();
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = services };
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        context.Request.Headers["X-Forwarded-For"] = forwarded;
        SignIn.ClientAddress(context).ShouldBe(expected);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheConsoleApi()
    {
        using var anyone = hub.Factory.CreateClient(new() { BaseAddress = new Uri(HubFixture.PublicBaseUrl) });
        var doc = await anyone.GetFromJsonAsync<JsonElement>("/api/console/v1/openapi/console.json");
        doc.GetProperty("openapi").GetString()!.ShouldStartWith("3.");
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.ShouldContain("/api/console/v1/cases");
        paths.ShouldContain("/api/console/v1/cases/{id}/claim");
        paths.ShouldContain("/api/console/v1/events");
        paths.ShouldContain("/api/console/v1/cases/{id}/referrals");
        paths.ShouldContain("/api/console/v1/referrals/{rid}/acknowledge");
        paths.ShouldAllBe(p => p.StartsWith("/api/console/v1/", StringComparison.Ordinal), "only the console API is in this document");
    }

    [Fact]
    public async Task DevSignIn_IsRefusedOutsideDevelopment()
    {
        using var browser = hub.NewBrowser();
        (await browser.GetAsync("/auth/dev")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await browser.PostAsync("/auth/dev", new FormUrlEncodedContent(new Dictionary<string, string> { ["login"] = "lan" }))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("https://evil.example/phish")]
    [InlineData("//evil.example/phish")]
    [InlineData("/\\evil.example")]
    public async Task Login_ReturnUrlToAnotherHost_IsReplacedByTheConsole(string returnUrl)
    {
        var (_, last, _) = await hub.SignInFlowAsync("lan", returnUrl);
        last.Headers.Location!.OriginalString.ShouldBe("/console");
    }

    [Fact]
    public async Task Logout_NeedsItsAntiforgeryToken_ThenEndsTheSession()
    {
        var lan = await hub.SignInAsync("lan");
        (await lan.PostAsync("/auth/logout", new FormUrlEncodedContent([]))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await lan.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.OK, "a cross-site form cannot sign anyone out");

        var page = await (await lan.GetAsync("/auth/no-access")).Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        token.ShouldNotBeEmpty();
        using var logout = await lan.PostAsync("/auth/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        logout.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        logout.Headers.Location!.OriginalString.ShouldBe("/auth/signed-out");
        (await lan.GetAsync(Me)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}

/// <summary>Development's one-click sign-in as a demo user (what run.sh offers without any provider).</summary>
public sealed class DevSignInTests(DevSignInTests.Fixture hub) : IClassFixture<DevSignInTests.Fixture>
{
    public sealed class Fixture : HubFixture
    {
        protected override string EnvironmentName => "Development";
    }

    [Fact]
    public async Task DevPage_ListsADemoUserPerRole_AndOneClickSignsIn_WithTheAntiforgeryToken()
    {
        using var browser = hub.Factory.CreateClient(new() { BaseAddress = new Uri(HubFixture.PublicBaseUrl), AllowAutoRedirect = false, HandleCookies = true });
        string page = string.Empty;
        await Eventually.TrueAsync(async () =>
        {
            page = await browser.GetStringAsync("/auth/dev");
            return DevelopmentStaff.All.All(u => page.Contains($"value=\"{u.Login}\"", StringComparison.Ordinal));
        });
        DevelopmentStaff.All.SelectMany(u => u.Role.Split(',')).Distinct().ShouldBe(Roles.All, ignoreOrder: true, "one demo user at least per role");
        DevelopmentStaff.All.Select(u => u.Team).Distinct().ShouldBe(["province-48", "province-01", "police-48", "police-01", "agency-a05", "central-111"], ignoreOrder: true);
        page.ShouldContain("Đăng nhập thử");

        using (var forged = await browser.PostAsync("/auth/dev", new FormUrlEncodedContent(new Dictionary<string, string> { ["login"] = "demo.admin" })))
        {
            forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest, "no antiforgery token, no sign-in (a login CSRF)");
        }

        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        using var signIn = await browser.PostAsync("/auth/dev", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = System.Net.WebUtility.HtmlDecode(token),
            ["login"] = "demo.counsellor",
            ["returnUrl"] = "/api/console/v1/me",
        }));
        signIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        signIn.Headers.Location!.OriginalString.ShouldBe("/api/console/v1/me");
        signIn.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("hub.session=", StringComparison.Ordinal) && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        var me = await browser.GetFromJsonAsync<JsonElement>("/api/console/v1/me");
        me.GetProperty("login").GetString().ShouldBe("demo.counsellor");
        me.GetProperty("teams").EnumerateArray().Select(t => t.GetString()).ShouldBe(["province-48"]);
        (await browser.GetAsync("/auth/login")).Headers.Location!.OriginalString.ShouldStartWith("/auth/dev", Case.Sensitive, "without a provider, Development signs in here");
    }
}

/// <summary>Sign-in attempts are rate-limited per client address.</summary>
public sealed class SignInRateLimitTests(SignInRateLimitTests.Fixture hub) : IClassFixture<SignInRateLimitTests.Fixture>
{
    public sealed class Fixture : ConsoleFixture
    {
        protected override int SignInPermitsPerMinute => 5;
    }

    [Fact]
    public async Task SignInRequests_PastTheLimit_Answer429WithRetryAfter()
    {
        using var browser = hub.NewBrowser();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            using var r = await browser.GetAsync("/auth/signed-out");
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                r.Headers.RetryAfter.ShouldNotBeNull();
            }
        }

        statuses.Take(5).ShouldAllBe(s => s == HttpStatusCode.OK);
        statuses.Skip(5).ShouldAllBe(s => s == HttpStatusCode.TooManyRequests);
        (await browser.GetAsync("/api/health")).StatusCode.ShouldNotBe(HttpStatusCode.TooManyRequests, "only sign-in is limited");
    }
}
