using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Functions.Cases;
using Hub.Functions.Privacy;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The hub with staff sign-in against <see cref="TestIdentityProvider"/>, and its people: one user per role in
/// Hà Nội's team (province-01, where <c>hn-sms</c> reports go), a liaison of Đà Nẵng (another province), and an
/// agency system signing in with client credentials.
/// </summary>
public class ConsoleFixture : HubFixture
{
    public static readonly IReadOnlyList<(string Login, string Team, string Role)> Staff =
    [
        ("lan", "province-01", Roles.Counsellor),
        ("binh", "province-01", Roles.Counsellor),
        ("minh", "province-01", Roles.Supervisor),
        ("hoa", "province-01", Roles.Liaison),
        ("an", "central-111", Roles.Analyst),
        ("quan", "central-111", Roles.Admin),
        ("tuan", "province-48", Roles.Liaison),
        ("ha", "province-48", Roles.Counsellor),
        ("cuc", "central-111", Roles.HashCurator), // a curator and nothing else: no case in scope
    ];

    public TestIdentityProvider Idp { get; private set; } = null!;

    protected virtual int SignInPermitsPerMinute => 10_000;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Hub:Auth:Authority"] = Idp.Issuer,
        ["Hub:Auth:ClientId"] = TestIdentityProvider.ClientId,
        ["Hub:Auth:ClientSecret"] = TestIdentityProvider.ClientSecret,
        ["Hub:Auth:Audience"] = TestIdentityProvider.ApiAudience,
        ["Hub:Auth:RequireHttpsMetadata"] = "false",
        ["Hub:Auth:SignInPermitsPerMinute"] = SignInPermitsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Hub:Auth:EventsWait"] = "00:00:01",
    };

    public People People => Services.GetRequiredService<People>();

    public override async Task InitializeAsync()
    {
        Idp = await TestIdentityProvider.StartAsync();
        await base.InitializeAsync();
        foreach (var (login, team, role) in Staff)
        {
            await People.AddUserAsync(Actor.Console("test"), login, "Cán bộ " + login, [team], [role], Idp.Issuer, login, CancellationToken.None);
        }

        await People.AddUserAsync(Actor.Console("test"), "a05-system", "Hệ thống A05", ["province-01"], [Roles.Liaison], Idp.Issuer, TestIdentityProvider.MachineClientId, CancellationToken.None);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Idp.DisposeAsync();
    }

    public HttpClient NewBrowser() => Factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(PublicBaseUrl), AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>
    /// The real authorization-code flow: the hub redirects to the provider, the provider back with a code, the hub
    /// redeems it (PKCE, client secret) over HTTP and sets its session cookie. Answers the browser and the last response.
    /// </summary>
    public async Task<(HttpClient Browser, HttpResponseMessage Last, Uri Callback)> SignInFlowAsync(string subject, string returnUrl = "/api/console/v1/me")
    {
        var (browser, last, callback, _) = await SignInFlowWithCookiesAsync(subject, returnUrl);
        return (browser, last, callback);
    }

    /// <summary>The same flow, also answering the one-time correlation and nonce cookies the hub set for it (what an attacker would have to steal).</summary>
    public async Task<(HttpClient Browser, HttpResponseMessage Last, Uri Callback, string FlowCookies)> SignInFlowWithCookiesAsync(string subject, string returnUrl = "/api/console/v1/me")
    {
        var browser = NewBrowser();
        using var login = await browser.GetAsync($"/auth/login?returnUrl={Uri.EscapeDataString(returnUrl)}&login_hint={Uri.EscapeDataString(subject)}");
        var flowCookies = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        login.StatusCode.ShouldBe(HttpStatusCode.Redirect, await login.Content.ReadAsStringAsync());
        login.Headers.Location!.GetLeftPart(UriPartial.Authority).ShouldBe(Idp.Issuer, "the hub sends the browser to the provider");
        using var idp = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var authorize = await idp.GetAsync(login.Headers.Location);
        authorize.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var callback = authorize.Headers.Location!;
        callback.GetLeftPart(UriPartial.Authority).ShouldBe(PublicBaseUrl);
        var last = await browser.GetAsync(callback.PathAndQuery);
        return (browser, last, callback, flowCookies);
    }

    public async Task<HttpClient> SignInAsync(string subject)
    {
        var (browser, last, _) = await SignInFlowAsync(subject);
        last.StatusCode.ShouldBe(HttpStatusCode.Redirect, "signed in, the hub returns the browser to where it was going");
        last.Headers.Location!.OriginalString.ShouldBe("/api/console/v1/me");
        last.Dispose();
        return browser;
    }

    /// <summary>Writes a report straight to the case store (as the processor would) and answers the case's id.</summary>
    public Task<string> CaseAsync(string province = "01", Func<ReportEnvelope, ReportEnvelope>? shape = null) => TestCases.WriteAsync(Services, province, shape);
}

/// <summary>Cases written straight to the case store, as the processor would write them.</summary>
public static class TestCases
{
    /// <summary>A child's SMS report of cyberbullying in <paramref name="province"/>, with a sealed contact number; answers the case's id.</summary>
    public static async Task<string> WriteAsync(IServiceProvider services, string province = "01", Func<ReportEnvelope, ReportEnvelope>? shape = null)
    {
        var privacy = services.GetRequiredService<PrivacyServices>();
        var sid = ProviderRequests.NewSid();
        var e = TestEnvelopes.For(sid) with
        {
            ReferenceCode = Hub.Core.Envelope.ReferenceCode.For(System.Text.Encoding.UTF8.GetBytes("test-reference-key"), sid),
            Location = new Location { ProvinceCode = province, Basis = "channel-instance" },
            Incident = new Incident { Description = "Em bị đe doạ trên mạng", Categories = ["cyberbullying"], Urls = ["https://social.example/post/1"] },
            Reporter = new Reporter
            {
                Pseudonym = privacy.Pseudonymizer.For(Hub.Core.Privacy.Pseudonymizer.PhoneKind, "+84912345678"),
                ContactRef = privacy.Cipher.Protect("+84912345678", PrivacyServices.ContactPurpose),
                Role = ReporterRoles.Child,
            },
        };
        e = shape?.Invoke(e) ?? e;
        await services.GetRequiredService<Hub.Functions.Cases.Database.PostgresCaseStore>().WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        return e.Id;
    }
}

/// <summary>Calls on the console API as a signed-in browser does: JSON, the request header, If-Match.</summary>
public static class ConsoleCalls
{
    public const string Api = "/api/console/v1";

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, object? body, string? ifMatch, bool header = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Api + path) { Content = JsonContent.Create(body ?? new { }) };
        if (header)
        {
            request.Headers.Add("X-Hub-Request", "1");
        }

        if (ifMatch is not null)
        {
            request.Headers.IfMatch.Add(ifMatch == "*" ? EntityTagHeaderValue.Any : new EntityTagHeaderValue(ifMatch));
        }

        return await client.SendAsync(request);
    }

    public static async Task<(JsonElement Body, string? ETag)> GetCaseAsync(this HttpClient client, string id)
    {
        using var r = await client.GetAsync($"{Api}/cases/{id}");
        r.StatusCode.ShouldBe(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return (await r.Content.ReadFromJsonAsync<JsonElement>(), r.Headers.ETag?.Tag);
    }
}
