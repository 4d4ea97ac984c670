using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Hub.Functions.Tests.Media;

/// <summary>A fake Twilio media server on loopback: MediaUrlN fetched with Basic auth, size-capped, allow-listed hosts only.</summary>
public sealed class MediaTests(HubFixture hub) : IClassFixture<HubFixture>, IAsyncLifetime
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
    private readonly ConcurrentQueue<string> _requests = new();
    private WebApplication? _server;
    private string _base = string.Empty;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSecrets.TwilioAccountSid}:{TestSecrets.TwilioAuthToken}"));
        _server.MapGet("/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}", (HttpContext ctx, string media) =>
        {
            _requests.Enqueue($"{ctx.Request.Path} auth={(ctx.Request.Headers.Authorization == expectedAuth ? "ok" : "missing")}");
            if (ctx.Request.Headers.Authorization != expectedAuth)
            {
                return Results.Unauthorized();
            }

            return media switch
            {
                "MEbig" => Results.Bytes(new byte[10_000], "image/jpeg"),
                "MEredirect" => Results.Redirect("http://169.254.169.254/latest/meta-data/"),
                _ => Results.Bytes(Png, "image/png"),
            };
        });
        await _server.StartAsync();
        _base = _server.Urls.First();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private static List<KeyValuePair<string, string>> WithMedia(string sid, params string[] urls)
    {
        var form = ProviderRequests.TwilioSms(sid, "ảnh chụp màn hình").Where(p => p.Key != "NumMedia").ToList();
        form.Add(new("NumMedia", urls.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        for (var i = 0; i < urls.Length; i++)
        {
            form.Add(new($"MediaUrl{i}", urls[i]));
            form.Add(new($"MediaContentType{i}", "image/png"));
        }

        return form;
    }

    [Fact]
    public async Task Media_FromAllowedHost_StoredEncryptedWithSha256()
    {
        var sid = ProviderRequests.NewSid("MM");
        var url = $"{_base}/2010-04-01/Accounts/{TestSecrets.TwilioAccountSid}/Messages/{sid}/Media/ME1";
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("media-sms", WithMedia(sid, url)));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _requests.ShouldContain(r => r.EndsWith("auth=ok", StringComparison.Ordinal));

        var stored = await hub.WaitForCaseAsync("media-sms", sid);
        var envelope = stored!.Envelope;
        SchemaValidator.Errors(envelope).ShouldBeEmpty();
        using var doc = JsonDocument.Parse(envelope);
        var evidence = doc.RootElement.GetProperty("evidence")[0];
        evidence.GetProperty("kind").GetString().ShouldBe("image");
        evidence.GetProperty("sha256").GetString().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Png)));
        evidence.GetProperty("size").GetInt64().ShouldBe(Png.Length);

        var blobName = evidence.GetProperty("blob").GetString()!["evidence/".Length..];
        var content = (await hub.Storage.Evidence.GetBlobClient(blobName).DownloadContentAsync()).Value.Content.ToArray();
        content.AsSpan().IndexOf(Png.AsSpan(8, 16)).ShouldBe(-1, "evidence is stored encrypted");
        var cipher = hub.Services.GetRequiredService<Hub.Functions.Privacy.PrivacyServices>().Cipher;
        cipher.DecryptBlob(content, "evidence/" + blobName).ShouldBe(Png);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "not allowed")]
    [InlineData("http://localhost:1/x", "not allowed")]
    [InlineData("file:///etc/passwd", "not an http")]
    public async Task Media_ForbiddenTarget_RefusedButReportKept(string url, string reason)
    {
        var sid = ProviderRequests.NewSid("MM");
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("media-sms", WithMedia(sid, url)));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var stored = await hub.WaitForCaseAsync("media-sms", sid);
        using var doc = JsonDocument.Parse(stored!.Envelope);
        var evidence = doc.RootElement.GetProperty("evidence")[0];
        evidence.GetProperty("error").GetString()!.ShouldContain(reason);
        evidence.TryGetProperty("blob", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Media_RedirectToMetadataAddress_NotFollowed()
    {
        var sid = ProviderRequests.NewSid("MM");
        var url = $"{_base}/2010-04-01/Accounts/{TestSecrets.TwilioAccountSid}/Messages/{sid}/Media/MEredirect";
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("media-sms", WithMedia(sid, url)));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var doc = JsonDocument.Parse((await hub.WaitForCaseAsync("media-sms", sid))!.Envelope);
        doc.RootElement.GetProperty("evidence")[0].GetProperty("error").GetString()!.ShouldContain("169.254.169.254");
    }

    [Fact]
    public async Task Media_OverSizeCap_Refused()
    {
        var sid = ProviderRequests.NewSid("MM");
        var url = $"{_base}/2010-04-01/Accounts/{TestSecrets.TwilioAccountSid}/Messages/{sid}/Media/MEbig";
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("media-sms", WithMedia(sid, url)));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var doc = JsonDocument.Parse((await hub.WaitForCaseAsync("media-sms", sid))!.Envelope);
        doc.RootElement.GetProperty("evidence")[0].GetProperty("error").GetString()!.ShouldContain("cap");
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("54.172.60.1", true)]
    [InlineData("2600:1f18::1", true)]
    public void IsPublic_ClassifiesAddresses(string address, bool expected) =>
        Hub.Functions.Media.MediaFetcher.IsPublic(IPAddress.Parse(address)).ShouldBe(expected);

    [Theory]
    [InlineData("api.twilio.com", true)]
    [InlineData("media.twiliocdn.com", true)]
    [InlineData("twiliocdn.com", false)]
    [InlineData("evil-twiliocdn.com", false)]
    [InlineData("api.twilio.com.evil.vn", false)]
    public void IsAllowedHost_MatchesExactOrWildcardSubdomain(string host, bool expected) =>
        Hub.Functions.Media.MediaFetcher.IsAllowedHost(host, new Hub.Functions.Channels.TwilioSms.TwilioSmsDescriptor().DefaultMediaHosts).ShouldBe(expected);
}

/// <summary>A channel without the test-only exemption cannot reach loopback even when its host list names it.</summary>
public sealed class MediaPrivateAddressTests(MediaPrivateAddressTests.Fixture hub) : IClassFixture<MediaPrivateAddressTests.Fixture>
{
    [Fact]
    public async Task Media_LoopbackAllowListedButNotExempt_RefusedAtConnect()
    {
        var sid = ProviderRequests.NewSid("MM");
        var form = ProviderRequests.TwilioSms(sid, "x").Where(p => p.Key != "NumMedia").ToList();
        form.AddRange([new("NumMedia", "1"), new("MediaUrl0", "http://127.0.0.1:9/media"), new("MediaContentType0", "image/png")]);
        using var response = await hub.Client.SendAsync(ProviderRequests.Twilio("strict-sms", form));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var doc = JsonDocument.Parse((await hub.WaitForCaseAsync("strict-sms", sid))!.Envelope);
        doc.RootElement.GetProperty("evidence")[0].GetProperty("error").GetString()!.ShouldContain("non-public address");
    }

    public sealed class Fixture : HubFixture
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Hub:Channels:strict-sms:Type"] = "twilio-sms",
            ["Hub:Channels:strict-sms:AuthToken"] = TestSecrets.TwilioAuthToken,
            ["Hub:Channels:strict-sms:MediaHosts:0"] = "127.0.0.1",
        };
    }
}
