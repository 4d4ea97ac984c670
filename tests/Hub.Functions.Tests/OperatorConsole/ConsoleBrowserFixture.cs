using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Hub.Functions.Cases;
using Hub.Functions.ConsoleApi;
using Hub.Functions.Tests.Infrastructure;
using Hub.Simulators;
using Microsoft.Playwright;

namespace Hub.Functions.Tests.OperatorConsole;

/// <summary>
/// The hub on a real loopback listener in Development (the demo users of <c>/auth/dev</c>), with the chat channels
/// on the provider simulator, an SMS channel for Đà Nẵng (province 48, the demo counsellor's), and Debian's
/// Chromium driven by Playwright. Every page's requests are watched: one to any other host fails the test.
/// </summary>
public sealed class ConsoleBrowserFixture : HubFixture
{
    /// <summary>Debian's package (scripts/ensure-chromium.sh installs it); HUB_CHROMIUM points elsewhere.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("HUB_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static readonly (int Width, int Height) Desk = (1366, 768);

    public static readonly (int Width, int Height) Phone = (390, 844);

    private IPlaywright? _playwright;

    public ProviderSimulator Provider { get; private set; } = null!;

    /// <summary>The SMS providers' send APIs (Twilio's Messages API for <c>dn-sms</c>).</summary>
    public SmsSimulator Sms { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Requests any page made to a host other than the hub's (aborted and kept here).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> ForeignRequests { get; } = new();

    protected override string EnvironmentName => "Development";

    protected override bool RealListener => true;

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = ChatFixture.ChatSettings(Provider, TimeSpan.FromMinutes(10));
            settings["Hub:Channels:fb:Province"] = "48";
            settings["Hub:Channels:dn-sms:Type"] = "twilio-sms";
            settings["Hub:Channels:dn-sms:AccountSid"] = TestSecrets.TwilioAccountSid;
            settings["Hub:Channels:dn-sms:AuthToken"] = TestSecrets.TwilioAuthToken;
            settings["Hub:Channels:dn-sms:Province"] = "48";
            settings["Hub:Channels:dn-sms:TwilioApiBaseUrl"] = Sms.BaseUrl;
            settings["Hub:Auth:EventsWait"] = "00:00:05";
            // Every browser signs in from 127.0.0.1: the per-address sign-in limit is tested on its own (SignInTests), not here.
            settings["Hub:Auth:SignInPermitsPerMinute"] = "10000";
            // The public form: its minimum fill time is tested over HTTP; here every page comes from 127.0.0.1.
            settings["Hub:WebForm:MinFillTime"] = "00:00:00";
            settings["Hub:WebForm:SubmitsPerWindow"] = "10000";
            settings["Hub:WebForm:StatusLookupsPerWindow"] = "10000";
            return settings;
        }
    }

    public People People => Services.GetRequiredService<People>();

    public CaseService CaseService => Services.GetRequiredService<CaseService>();

    public override async Task InitializeAsync()
    {
        Provider = await ProviderSimulator.StartAsync();
        Provider.PageAccessToken = TestSecrets.MetaPageToken;
        Sms = await SmsSimulator.StartAsync();
        await base.InitializeAsync();
        // Development seeds the demo users at start-up (DevelopmentStaff); the tests sign in as them.
        await Eventually.TrueAsync(async () => (await People.ListUsersAsync(CancellationToken.None)).Count(u => u.Issuer == SignIn.DevIssuer) == DevelopmentStaff.All.Count);
        Assertions.SetDefaultExpectTimeout(30_000); // see SignInAsync: a busy machine, never a fixed sleep
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // The CI machine runs as root, where Chromium's sandbox cannot start; the pages are the hub's own.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await base.DisposeAsync();
        await Provider.DisposeAsync();
        await Sms.DisposeAsync();
    }

    /// <summary>A new browser (its own cookies) signed in as a demo user through <c>/auth/dev</c>, on the queue.</summary>
    public async Task<IPage> SignInAsync(string login, (int Width, int Height)? viewport = null)
    {
        var page = await NewPageAsync(viewport ?? Desk);
        await page.GotoAsync("/auth/dev?returnUrl=%2Fconsole");
        await page.Locator($"form:has(input[name=login][value=\"{login}\"]) button").ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/console(/admin|/thong-ke)?$"), new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });
        return page;
    }

    /// <summary>A new browser (its own cookies, nobody signed in), with or without JavaScript; requests to any other host are aborted and kept.</summary>
    public async Task<IPage> NewPageAsync((int Width, int Height) viewport, bool javaScript = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = ServerAddress!.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = viewport.Width, Height = viewport.Height },
            Locale = "vi-VN",
            TimezoneId = "Asia/Ho_Chi_Minh",
            JavaScriptEnabled = javaScript,
        });
        // Generous: the suite runs its test classes in parallel on 2 cores, and a first page pays for cold code paths.
        // Every wait below still ends as soon as its condition holds; nothing sleeps.
        context.SetDefaultTimeout(30_000);
        var hubHost = ServerAddress!.Authority;
        await context.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.Scheme is "data" or "blob" || string.Equals(url.Authority, hubHost, StringComparison.OrdinalIgnoreCase))
            {
                await route.ContinueAsync();
            }
            else
            {
                ForeignRequests.Enqueue(route.Request.Url);
                await route.AbortAsync();
            }
        });
        return await context.NewPageAsync();
    }

    /// <summary>axe-core on the page as it is: every serious or critical violation, with where it is (none expected).</summary>
    public static async Task<IReadOnlyList<string>> SeriousViolationsAsync(IPage page)
    {
        var result = await page.RunAxe();
        return [.. result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Impact} {v.Id}: {v.Help} at {string.Join(" | ", v.Nodes.Select(n => n.Target?.ToString()))}")];
    }

    /// <summary>
    /// The screen as a counsellor at a desk (1366×768) and a liaison on a phone (390×844) see it: a full-page
    /// screenshot of each under artifacts/console/, and axe-core at both sizes. Answers the violations found.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CheckScreenAsync(IPage page, string name, string folder = "console")
    {
        var found = new List<string>();
        var dir = Path.Combine(RepositoryRoot(), "artifacts", folder);
        Directory.CreateDirectory(dir);
        var original = page.ViewportSize;
        foreach (var (w, h) in new[] { Desk, Phone })
        {
            await page.SetViewportSizeAsync(w, h);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, $"{name}-{w}x{h}.png"), FullPage = true });
            found.AddRange((await SeriousViolationsAsync(page)).Select(v => $"{w}×{h} {v}"));
            // A page wider than the phone makes a counsellor scroll sideways for every line: wide tables scroll in their own box.
            var wider = await page.EvaluateAsync<string>(WiderThanTheScreen);
            if (wider.Length > 0)
            {
                found.Add($"{w}×{h} the page is wider than the screen: {wider}");
            }
        }

        if (original is not null)
        {
            await page.SetViewportSizeAsync(original.Width, original.Height);
        }

        return found;
    }

    // Empty when the page fits; otherwise the overflow in px and the innermost elements that stick out, to fix.
    private const string WiderThanTheScreen = """
        () => {
          const over = document.documentElement.scrollWidth - window.innerWidth;
          if (over <= 0) return "";
          const out = [...document.body.querySelectorAll("*")]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && e.closest(".table-wrap") === null)
            .filter((e, _, all) => !all.some(o => o !== e && e.contains(o)))
            .slice(0, 3)
            .map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " " + Math.round(e.getBoundingClientRect().right) + "px");
          return over + " px; " + out.join(", ");
        }
        """;

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("not inside the repository");
    }

    public async Task<Actor> ActorAsync(string login) => await People.ActorAsync(login, null, CancellationToken.None);
}
