using System.Net;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Channels.Web;

/// <summary>Storage down while a child presses "Gửi": no receipt, the form back with everything typed; storage back: the retry is one report.</summary>
public sealed class WebFormOutageTests(WebFormFixture hub) : IClassFixture<WebFormFixture>
{
    [Fact]
    public async Task Submit_StorageDownNoSpool_503FormKeptThenRetryIsOneCase()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        var details = "Em bị dọa trên Zalo, lúc hệ thống đang hỏng";
        await hub.Azurite.StopAsync();
        (HttpStatusCode Status, string Html) down;
        try
        {
            using var content = WebForms.Multipart(WebForms.Fields(form.Antiforgery, token, details), (WebForms.Png(), "a.png", "image/png"));
            using var response = await hub.Client.PostAsync("/bao-cao", content);
            down = (response.StatusCode, await response.Content.ReadAsStringAsync());
            response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(20));
        }
        finally
        {
            await hub.Azurite.RestartAsync();
        }

        down.Status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        WebForms.Receipt(down.Html).ShouldBeNull("no code before the report is durable");
        down.Html.ShouldContain("CHƯA được nhận");
        down.Html.ShouldContain("tel:111");
        WebForms.TextArea(down.Html, "f-details").ShouldBe(details);
        WebForms.Field(down.Html, "ft").ShouldBe(token);
        (await hub.Cases.FindAsync("web", "web-" + token.Split('.')[2], CancellationToken.None)).ShouldBeNull();

        // The person presses "Gửi báo cáo" again on the page they got back: its tokens, their words.
        var again = WebForms.Fields(WebForms.Field(down.Html, "__RequestVerificationToken")!, WebForms.Field(down.Html, "ft")!, WebForms.TextArea(down.Html, "f-details")!);
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(again, (WebForms.Png(), "a.png", "image/png")));
        status.ShouldBe(HttpStatusCode.OK, html);
        var found = await hub.WaitForCaseAsync("web", "web-" + token.Split('.')[2], TimeSpan.FromSeconds(30));
        found.ShouldNotBeNull();
        found.ReferenceCode.ShouldBe(WebForms.Receipt(html)!.Value.Code);
    }
}

/// <summary>Standalone with the spool on: storage down still gives a receipt once the spool write is fsynced, and the relay delivers the same code.</summary>
public sealed class WebFormSpoolFixture : HubFixture
{
    public string SpoolPath { get; } = Path.Combine(Path.GetTempPath(), "hub-tests-spool", Guid.NewGuid().ToString("N"));

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Hub:Spool:Enabled"] = "true",
        ["Hub:Spool:Path"] = SpoolPath,
        ["Hub:Spool:RelayInterval"] = "01:00:00",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(SpoolPath))
        {
            Directory.Delete(SpoolPath, recursive: true);
        }
    }
}

public sealed class WebFormSpoolTests(WebFormSpoolFixture hub) : IClassFixture<WebFormSpoolFixture>
{
    [Fact]
    public async Task Submit_StorageDownWithSpool_ReceiptThenTheSameCodeAfterTheRelay()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        var token = WebForms.Backdated(hub.Services);
        await hub.Azurite.StopAsync();
        (HttpStatusCode Status, string Html) spooled;
        try
        {
            spooled = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token), (WebForms.Jpeg(), "a.jpg", "image/jpeg")));
        }
        finally
        {
            await hub.Azurite.RestartAsync();
        }

        spooled.Status.ShouldBe(HttpStatusCode.OK, spooled.Html);
        var (code, _) = WebForms.Receipt(spooled.Html) ?? throw new ShouldAssertException("no receipt");
        await hub.Services.GetRequiredService<Hub.Functions.Spool.SpoolRelay>().DrainAsync(CancellationToken.None);
        var found = await hub.WaitForCaseAsync("web", "web-" + token.Split('.')[2], TimeSpan.FromSeconds(30));
        found.ShouldNotBeNull();
        found.ReferenceCode.ShouldBe(code);
        using var doc = System.Text.Json.JsonDocument.Parse(found.Envelope);
        doc.RootElement.GetProperty("evidence").EnumerateArray().Single().GetProperty("kind").GetString().ShouldBe("image"); // the screenshot travelled in the spool
    }
}

/// <summary>The per-client limits, with a hub whose limits are tiny: the refusal is the form back (429), still holding the input.</summary>
public sealed class WebFormLimitFixture : HubFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Hub:WebForm:SubmitsPerWindow"] = "2",
        ["Hub:WebForm:StatusLookupsPerWindow"] = "3",
    };
}

public sealed class WebFormLimitTests(WebFormLimitFixture hub) : IClassFixture<WebFormLimitFixture>
{
    [Fact]
    public async Task Submits_OverTheLimit_429WithInputKept()
    {
        var form = await WebForms.OpenAsync(hub.Client);
        for (var i = 0; i < 2; i++)
        {
            (await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, WebForms.Backdated(hub.Services))))).Status.ShouldBe(HttpStatusCode.OK);
        }

        var token = WebForms.Backdated(hub.Services);
        var (status, html) = await WebForms.PostAsync(hub.Client, WebForms.Multipart(WebForms.Fields(form.Antiforgery, token, "lần thứ ba")));
        status.ShouldBe(HttpStatusCode.TooManyRequests);
        html.ShouldContain("Em đã gửi nhiều lần liền");
        WebForms.TextArea(html, "f-details").ShouldBe("lần thứ ba");
        WebForms.Field(html, "ft").ShouldBe(token);
        (await hub.Cases.FindAsync("web", "web-" + token.Split('.')[2], CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task StatusLookups_GuessingIsCut_EvenTheRightSecretWaits()
    {
        var page = await hub.Client.GetStringAsync("/bao-cao/trang-thai");
        var af = WebForms.Field(page, "__RequestVerificationToken")!;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var content = new FormUrlEncodedContent([new("__RequestVerificationToken", af), new("code", "ABCD-EFGH"), new("secret", $"AAAAA-AAAA{i}")]);
            statuses.Add((await WebForms.PostAsync(hub.Client, content, "/bao-cao/trang-thai")).Status);
        }

        statuses.ShouldBe([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests]);
    }
}
