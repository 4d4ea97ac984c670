using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Core.Platform;
using Hub.Core.Signatures;
using Hub.Functions.Cases;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Platform;
using Hub.Simulators;
using Microsoft.Extensions.Options;

namespace Hub.Cli;

/// <summary>
/// <c>demo sms|gateway|platform</c>: sign and post a sample message as the provider (or platform) would, to the running
/// hub, then show the case it became. Run with the hub's configuration, so the secrets and URL are the hub's.
/// </summary>
internal static class Demos
{
    public const int PlatformSimulatorPort = 7073;

    public static async Task<int> DemoSmsAsync(IServiceProvider sp, string text, TextWriter output)
    {
        var (instance, channel, hub) = FindInstance(sp, Hub.Functions.Channels.TwilioSms.TwilioSmsDescriptor.TypeName);
        if (channel is null)
        {
            output.WriteLine("No twilio-sms channel is configured (Hub:Channels:{name}:Type = twilio-sms).");
            return 2;
        }

        var sid = "SM" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var form = new List<KeyValuePair<string, string>>
        {
            new("ToCountry", "VN"), new("SmsMessageSid", sid), new("NumMedia", "0"), new("SmsSid", sid),
            new("SmsStatus", "received"), new("Body", string.IsNullOrWhiteSpace(text) ? "Có người dọa tung ảnh của em lên mạng, em ở Quảng Nam" : text),
            new("FromCountry", "VN"), new("To", "+842873001111"), new("NumSegments", "1"), new("MessageSid", sid),
            new("AccountSid", channel.AccountSid ?? "ACdemo"), new("From", "+84912345678"), new("ApiVersion", "2010-04-01"),
        };
        var path = $"/api/channels/twilio-sms/{instance}";
        var signature = TwilioSignature.Compute(channel.AuthToken!, channel.WebhookUrl ?? hub.PublicBaseUrl.TrimEnd('/') + path, form);
        using var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature);
        using var response = await http.SendAsync(request);
        output.WriteLine($"POST {hub.PublicBaseUrl.TrimEnd('/')}{path} (MessageSid {sid}) -> {(int)response.StatusCode}");
        output.WriteLine(await response.Content.ReadAsStringAsync());
        return response.IsSuccessStatusCode ? await ShowCaseAsync(sp, instance, sid, output) : 1;
    }

    public static async Task<int> DemoGatewayAsync(IServiceProvider sp, string text, TextWriter output)
    {
        var (instance, channel, hub) = FindInstance(sp, Hub.Functions.Channels.SmsGateway.SmsGatewayDescriptor.TypeName);
        if (channel is null)
        {
            output.WriteLine("No sms-gateway channel is configured (Hub:Channels:{name}:Type = sms-gateway).");
            return 2;
        }

        var time = sp.GetRequiredService<TimeProvider>();
        var id = "gw-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            messageId = id,
            from = "0912345678",
            to = "111",
            text = string.IsNullOrWhiteSpace(text) ? "Bạn em bị bắt nạt trên mạng, ở Bình Dương" : text,
            carrier = "viettel",
            receivedAt = time.GetUtcNow(),
        });
        var ts = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        var path = $"/api/channels/sms-gateway/{instance}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(HubSignature.TimestampHeader, ts);
        request.Headers.Add(HubSignature.SignatureHeader, HubSignature.Compute(channel.Secret!, ts, body));
        using var response = await http.SendAsync(request);
        output.WriteLine($"POST {hub.PublicBaseUrl.TrimEnd('/')}{path} (messageId {id}) -> {(int)response.StatusCode}");
        output.WriteLine(await response.Content.ReadAsStringAsync());
        return response.IsSuccessStatusCode ? await ShowCaseAsync(sp, instance, id, output) : 1;
    }

    private static (string Instance, ChannelOptions? Channel, HubOptions Hub) FindInstance(IServiceProvider sp, string type)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        var match = sp.GetRequiredService<IOptions<ChannelsOptions>>().Value.Instances.FirstOrDefault(i => i.Value.Type == type);
        return (match.Key, match.Value, hub);
    }

    internal static async Task<int> ShowCaseAsync(IServiceProvider sp, string instance, string messageId, TextWriter output)
    {
        var cases = sp.GetRequiredService<ICaseStore>();
        for (var i = 0; i < 60; i++)
        {
            if (await cases.FindAsync(instance, messageId, CancellationToken.None) is { } found)
            {
                using var doc = JsonDocument.Parse(found.Envelope);
                output.WriteLine($"Stored case {found.ReferenceCode} (status {CaseRecord.StatusName(found.Status)}, in the queue of team {found.TeamId}):");
                output.WriteLine(JsonSerializer.Serialize(doc.RootElement, IndentedJson));
                return 0;
            }

            await Task.Delay(250);
        }

        output.WriteLine("The report was accepted but no case appeared within 15 s: is the hub's processor running?");
        return 1;
    }

    public static async Task<int> DemoPlatformAsync(IServiceProvider sp, TextWriter output)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        var (id, platform) = sp.GetRequiredService<IOptions<PlatformsOptions>>().Value.Instances.FirstOrDefault(p => p.Value.CallbackUrl?.Contains($":{PlatformSimulatorPort}/", StringComparison.Ordinal) == true);
        if (platform is null)
        {
            output.WriteLine($"No platform with a callback on port {PlatformSimulatorPort} is configured (the Development settings have 'demo-platform').");
            return 2;
        }

        await using var simulator = await PlatformSimulator.StartAsync(PlatformSimulatorPort);
        using var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        var time = sp.GetRequiredService<TimeProvider>();

        var report = JsonNode.Parse(PlatformSchema.ReadResource(PlatformSchema.ReportExampleResource))!;
        report["platformReportId"] = "demo-" + time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes(report.ToJsonString());

        PlatformReceipt? receipt = null;
        for (var round = 1; round <= 2; round++)
        {
            using var response = await http.SendAsync(Signed(HttpMethod.Post, "/api/platform/v1/reports", id, platform.Secret!, body, time));
            var text = await response.Content.ReadAsStringAsync();
            output.WriteLine($"POST /api/platform/v1/reports ({(round == 1 ? "first" : "again, same platformReportId")}) -> {(int)response.StatusCode}");
            output.WriteLine(text);
            if ((int)response.StatusCode != StatusCodes.Status202Accepted)
            {
                return 1;
            }

            receipt = JsonSerializer.Deserialize(text, PlatformJsonContext.Default.PlatformReceipt)!;
        }

        simulator.Trust((await http.GetFromJsonAsync("/api/platform/v1/signing-keys", JwkJsonContext.Default.JwkSet))!);

        // The case processor must have made the case before the report's URLs can be read from it.
        var status = await WaitAsync(http, id, platform.Secret!, receipt!.HubReportId, time, s => s.Status != "queued");
        output.WriteLine($"Report {receipt.HubReportId} ({receipt.ReferenceCode}) is {status?.Status ?? "still queued"}.");

        var (record, error) = await sp.GetRequiredService<Takedowns>().RequestAsync(id, receipt.HubReportId, [], "Nội dung dụ dỗ, tống tiền trẻ em (Decision 830 takedown)", CancellationToken.None);
        if (record is null)
        {
            output.WriteLine(error);
            return 1;
        }

        output.WriteLine($"Takedown {record.TakedownId} requested for {string.Join(", ", record.Urls)}");
        for (var i = 0; i < 120 && simulator.Received.Count == 0; i++)
        {
            await Task.Delay(250);
        }

        if (simulator.Received.FirstOrDefault() is not { } received)
        {
            output.WriteLine("The simulated platform received no takedown request within 30 s: is the hub's takedown worker running?");
            return 1;
        }

        output.WriteLine($"Platform received it, signed with hub key {received.KeyId}: signature {(received.SignatureValid ? "verified" : "INVALID")}.");
        var confirmation = Encoding.UTF8.GetBytes($$"""{"outcome":"removed","note":"Video and account removed by the demo platform."}""");
        using (var confirm = await http.SendAsync(Signed(HttpMethod.Post, $"/api/platform/v1/takedowns/{received.Request.TakedownId}/confirm", id, platform.Secret!, confirmation, time)))
        {
            output.WriteLine($"POST /api/platform/v1/takedowns/{received.Request.TakedownId}/confirm -> {(int)confirm.StatusCode}");
            if (!confirm.IsSuccessStatusCode)
            {
                output.WriteLine(await confirm.Content.ReadAsStringAsync());
                return 1;
            }
        }

        status = await WaitAsync(http, id, platform.Secret!, receipt.HubReportId, time, s => s.Takedowns.Any(t => t.Status == "confirmed"));
        output.WriteLine($"GET /api/platform/v1/reports/{receipt.HubReportId}:");
        output.WriteLine(JsonSerializer.Serialize(status, Indented.PlatformReportStatus));
        var done = status?.Takedowns.FirstOrDefault(t => t.Status == "confirmed");
        output.WriteLine(done is null ? "No confirmed takedown recorded." : $"Time to removal: {done.TimeToRemovalSeconds:F1} s");
        return done is null ? 1 : await HashesAsync(http, id, platform.Secret!, time, output);
    }

    /// <summary>The hash API (docs/platform-api.md#hashes): contribute a PDQ hash to the platform's bank, then look up a near-duplicate of it.</summary>
    private static async Task<int> HashesAsync(HttpClient http, string id, string secret, TimeProvider time, TextWriter output)
    {
        const string Pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"; // the example report's file
        const string Near = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2d"; // 4 bits away
        var contribution = Encoding.UTF8.GetBytes($$"""{"hashes":[{"type":"pdq","value":"{{Pdq}}","quality":92,"classification":"csam-a1","ref":"demo-file-7311"}]}""");
        using (var added = await http.SendAsync(Signed(HttpMethod.Post, "/api/platform/v1/hashes", id, secret, contribution, time)))
        {
            output.WriteLine($"POST /api/platform/v1/hashes -> {(int)added.StatusCode} {await added.Content.ReadAsStringAsync()}");
            if (!added.IsSuccessStatusCode)
            {
                return 1;
            }
        }

        var lookup = Encoding.UTF8.GetBytes($$"""{"hashes":[{"type":"pdq","value":"{{Near}}","quality":90}]}""");
        using var match = await http.SendAsync(Signed(HttpMethod.Post, "/api/platform/v1/hashes/match", id, secret, lookup, time));
        var text = await match.Content.ReadAsStringAsync();
        output.WriteLine($"POST /api/platform/v1/hashes/match -> {(int)match.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        var hit = match.IsSuccessStatusCode
            ? doc.RootElement.GetProperty("results")[0].GetProperty("matches").EnumerateArray().FirstOrDefault(m => m.GetProperty("bank").GetString() == "platform-" + id)
            : default;
        if (hit.ValueKind != JsonValueKind.Object)
        {
            output.WriteLine("The near-duplicate did not match the contributed hash.");
            return 1;
        }

        output.WriteLine($"Hash lookup: platform-{id}, {hit.GetProperty("classification").GetString()}, pdq distance {hit.GetProperty("distance").GetInt32()}");
        return 0;
    }

    internal static HttpRequestMessage Signed(HttpMethod method, string path, string platformId, string secret, byte[] body, TimeProvider time)
    {
        var ts = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(method, path);
        if (method != HttpMethod.Get)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new("application/json");
        }

        request.Headers.Add(PlatformApi.PlatformHeader, platformId);
        request.Headers.Add(HubSignature.TimestampHeader, ts);
        request.Headers.Add(HubSignature.SignatureHeader, HubSignature.Compute(secret, ts, method == HttpMethod.Get ? [] : body));
        return request;
    }

    private static async Task<PlatformReportStatus?> WaitAsync(HttpClient http, string id, string secret, string hubReportId, TimeProvider time, Func<PlatformReportStatus, bool> until)
    {
        PlatformReportStatus? status = null;
        for (var i = 0; i < 60; i++)
        {
            using var response = await http.SendAsync(Signed(HttpMethod.Get, $"/api/platform/v1/reports/{hubReportId}", id, secret, [], time));
            if (response.IsSuccessStatusCode)
            {
                status = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), PlatformJsonContext.Default.PlatformReportStatus);
                if (status is not null && until(status))
                {
                    return status;
                }
            }

            await Task.Delay(250);
        }

        return status;
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly PlatformJsonContext Indented = new(new JsonSerializerOptions(PlatformJsonContext.Default.Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
