using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hub.Core.Signatures;
using Hub.Functions.Tests.Infrastructure;

namespace Hub.Functions.Tests.Reliability;

/// <summary>
/// At least 10,000 generated hostile inputs per endpoint (docs/reliability.md): most correctly signed, so they
/// reach the parsers and the intake rather than stopping at the signature check. Every answer must be below 500,
/// the app must log no unhandled exception, and the canary on loopback must see no connection from the hub.
/// Seeds are fixed: a failure names the endpoint and case index, and the case reproduces exactly.
/// </summary>
[Collection(FuzzRunsAlone.Name)]
public sealed class FuzzTests(FuzzFixture hub) : IClassFixture<FuzzFixture>
{
    private const int Cases = 10_000;

    private static readonly string[] VoiceActions = ["incoming", "menu", "hold", "queue-result", "record-done", "recording", "status"];

    private async Task FuzzAsync(string endpoint, int seed, Func<Hostile, int, HttpRequestMessage> build)
    {
        var logsBefore = hub.Logs.Lines.Count;
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Cases), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var h = new Hostile((seed * 1_000_003) + i, [.. hub.ForbiddenUrls]);
            using var request = build(h, i);
            try
            {
                using var response = await hub.Client.SendAsync(request, ct);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                if ((int)response.StatusCode >= 500)
                {
                    var text = await response.Content.ReadAsStringAsync(ct);
                    failures.Enqueue($"{endpoint} case {i}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Enqueue($"{endpoint} case {i}: {ex.GetType().Name}: {ex.Message}");
            }
        });

        statuses.Values.Sum().ShouldBe(Cases - failures.Count(f => !f.Contains(": 5", StringComparison.Ordinal)));
        failures.ShouldBeEmpty(string.Join('\n', failures.Take(10).Concat(hub.Logs.Lines.Where(l => l.Contains("Unhandled", StringComparison.Ordinal)).Take(3))));
        var logs = string.Join('\n', hub.Logs.Lines.Skip(logsBefore));
        logs.ShouldNotContain("Unhandled", Case.Sensitive);
        logs.ShouldNotContain("answered 500", Case.Sensitive);
        Console.WriteLine($"fuzz {endpoint}: {Cases} cases, statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
    }

    /// <summary>An odd string as a path segment; NUL is left out because no HTTP server lets it reach an app (Kestrel answers 400 itself).</summary>
    private static string PathSegment(Hostile h) => Uri.EscapeDataString(h.OddString().Replace("\0", string.Empty, StringComparison.Ordinal));

    private static ByteArrayContent Bytes(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static string OddContentType(Hostile h, string normal) => h.Next(10) switch
    {
        0 => "text/plain",
        1 => normal + "; charset=utf-16",
        2 => "application/json; charset=\"\r\nX-Injected: 1\"",
        3 => string.Empty,
        _ => normal,
    };

    /// <summary>Odd request headers: duplicated and injected signature headers, huge values.</summary>
    private static void OddHeaders(Hostile h, HttpRequestMessage r, string signatureHeader)
    {
        if (h.Chance(0.05))
        {
            r.Headers.TryAddWithoutValidation(signatureHeader, "v1=" + new string('f', 64));
        }

        if (h.Chance(0.03))
        {
            r.Headers.TryAddWithoutValidation("X-Forwarded-For", "127.0.0.1\r\nX-Injected: 1");
        }

        if (h.Chance(0.02))
        {
            r.Headers.TryAddWithoutValidation("X-Large", new string('x', 32_000));
        }
    }

    [Fact]
    public async Task TwilioSms_HostileForms_NeverFail() => await FuzzAsync("twilio-sms", 1, (h, i) =>
    {
        var form = ProviderRequests.TwilioSms(ProviderRequests.NewSid(), h.Chance(0.5) ? h.OddString() : "Cứu em " + h.OddString(), from: h.Chance(0.1) ? h.OddString() : "+84912345678");
        if (h.Chance(0.4))
        {
            var media = h.Next(4);
            form.RemoveAll(p => p.Key == "NumMedia");
            form.Add(new("NumMedia", h.Chance(0.2) ? h.OddString() : media.ToString(CultureInfo.InvariantCulture)));
            for (var m = 0; m < media; m++)
            {
                form.Add(new($"MediaUrl{m}", h.ForbiddenUrl()));
                form.Add(new($"MediaContentType{m}", h.Chance(0.5) ? "image/jpeg" : h.OddString()));
            }
        }

        if (h.Chance(0.1))
        {
            form.Add(new(h.OddString(), h.OddString()));
        }

        var odd = h.Chance(0.15);
        var request = ProviderRequests.Twilio("fz-sms", form, signature: odd ? string.Empty : null);
        if (odd)
        {
            request.Headers.TryAddWithoutValidation("X-Twilio-Signature", h.OddString());
        }

        if (h.Chance(0.15))
        {
            var raw = Encoding.UTF8.GetBytes(string.Join('&', form.Select(p => $"{p.Key}={p.Value}")));
            request.Content = Bytes(h.Corrupt(raw), OddContentType(h, "application/x-www-form-urlencoded"));
        }

        OddHeaders(h, request, "X-Twilio-Signature");
        return request;
    });

    [Fact]
    public async Task TwilioVoice_HostileCallbacks_NeverFail() => await FuzzAsync("twilio-voice", 2, (h, i) =>
    {
        var action = h.Chance(0.05) ? PathSegment(h) : VoiceActions[h.Next(VoiceActions.Length)];
        var callSid = h.Chance(0.1) ? h.OddString() : "CA" + (i % 200).ToString("x32", CultureInfo.InvariantCulture);
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", TestSecrets.TwilioAccountSid), new("CallSid", callSid), new("From", h.Chance(0.1) ? h.OddString() : "+84912345678"),
            new("To", "+842873000111"), new("CallStatus", h.Chance(0.3) ? h.OddString() : "in-progress"), new("Direction", "inbound"),
        };
        foreach (var (k, v) in new[] { ("Digits", h.OddString()), ("QueueResult", h.OddString()), ("QueueTime", h.OddString()), ("RecordingUrl", h.ForbiddenUrl()), ("RecordingSid", "RE" + h.Next(1000)), ("RecordingStatus", "completed"), ("RecordingDuration", h.OddString()), ("CallDuration", h.OddString()) })
        {
            if (h.Chance(0.4))
            {
                form.Add(new(k, v));
            }
        }

        var path = $"/api/channels/twilio-voice/fz-111/{action}" + (h.Chance(0.1) ? "?retry=" + PathSegment(h) : string.Empty);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation("X-Twilio-Signature", h.Chance(0.85) ? TwilioSignature.Compute(TestSecrets.TwilioAuthToken, HubFixture.PublicBaseUrl + path, form) : h.OddString());
        if (h.Chance(0.1))
        {
            request.Content = Bytes(h.Corrupt(Encoding.UTF8.GetBytes(string.Join('&', form.Select(p => $"{p.Key}={p.Value}")))), "application/x-www-form-urlencoded");
        }

        return request;
    });

    [Fact]
    public async Task SmsGateway_HostileJson_NeverFail() => await FuzzAsync("sms-gateway", 3, (h, i) =>
    {
        var json = h.MutateJson(ProviderRequests.GatewayJson("fz-" + Guid.NewGuid().ToString("N"), "Cứu em, em ở Huế"));
        var body = h.Chance(0.25) ? h.Corrupt(Encoding.UTF8.GetBytes(json)) : Encoding.UTF8.GetBytes(json);
        var ts = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/sms-gateway/vt-gw") { Content = Bytes(body, OddContentType(h, "application/json")) };
        request.Headers.TryAddWithoutValidation(HubSignature.TimestampHeader, h.Chance(0.05) ? h.OddString() : ts);
        request.Headers.TryAddWithoutValidation(HubSignature.SignatureHeader, h.Chance(0.9) ? HubSignature.Compute(TestSecrets.GatewaySecret, ts, body) : h.OddString());
        OddHeaders(h, request, HubSignature.SignatureHeader);
        return request;
    });

    [Fact]
    public async Task Messenger_HostileEvents_NeverFail() => await FuzzAsync("messenger", 4, (h, i) =>
    {
        var json = h.MutateJson(ChatFixture.MessengerText((9000 + (i % 50)).ToString(CultureInfo.InvariantCulture), "m_" + Guid.NewGuid().ToString("N"), "em bị dọa " + h.OddString(), attachmentUrl: h.Chance(0.5) ? h.ForbiddenUrl() : null));
        var body = h.Chance(0.25) ? h.Corrupt(Encoding.UTF8.GetBytes(json)) : Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/messenger/fb") { Content = Bytes(body, OddContentType(h, "application/json")) };
        request.Headers.TryAddWithoutValidation(MetaSignature.Header, h.Chance(0.9) ? MetaSignature.Compute(TestSecrets.MetaAppSecret, body) : h.OddString());
        OddHeaders(h, request, MetaSignature.Header);
        return request;
    });

    [Fact]
    public async Task Zalo_HostileEvents_NeverFail() => await FuzzAsync("zalo", 5, (h, i) =>
    {
        var json = h.MutateJson(ChatFixture.ZaloText((7000 + (i % 50)).ToString(CultureInfo.InvariantCulture), "z" + Guid.NewGuid().ToString("N"), "em bị dọa " + h.OddString(), TimeProvider.System.GetUtcNow(), imageUrl: h.Chance(0.5) ? h.ForbiddenUrl() : null));
        var ts = JsonNode.Parse(json, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 4096 })?["timestamp"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;
        var body = h.Chance(0.25) ? h.Corrupt(Encoding.UTF8.GetBytes(json)) : Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/zalo/zl") { Content = Bytes(body, OddContentType(h, "application/json")) };
        request.Headers.TryAddWithoutValidation(ZaloSignature.Header, h.Chance(0.9) ? ZaloSignature.Compute(ChatFixture.ZaloAppId, body, ts, TestSecrets.ZaloOaSecret) : h.OddString());
        OddHeaders(h, request, ZaloSignature.Header);
        return request;
    });

    private static HttpRequestMessage PlatformCall(Hostile h, HttpMethod method, string path, byte[] body)
    {
        var ts = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(method, "/api/platform/v1" + path);
        if (method != HttpMethod.Get)
        {
            request.Content = Bytes(body, OddContentType(h, "application/json"));
        }

        request.Headers.TryAddWithoutValidation("X-Hub-Platform", h.Chance(0.05) ? h.OddString() : "tt");
        request.Headers.TryAddWithoutValidation(HubSignature.TimestampHeader, ts);
        request.Headers.TryAddWithoutValidation(HubSignature.SignatureHeader, h.Chance(0.9) ? HubSignature.Compute(TestSecrets.PlatformSecret, ts, method == HttpMethod.Get ? [] : body) : h.OddString());
        OddHeaders(h, request, HubSignature.SignatureHeader);
        return request;
    }

    [Fact]
    public async Task PlatformReport_HostileReports_NeverFail() => await FuzzAsync("platform report", 6, (h, i) =>
    {
        var json = h.MutateJson(PlatformFixture.Example(h.Chance(0.1) ? "fz-dup" : null, n =>
        {
            if (h.Chance(0.5))
            {
                n["contentUrls"] = new JsonArray(JsonValue.Create(h.ForbiddenUrl()));
                n["files"]![0]!["url"] = h.ForbiddenUrl();
            }
        }));
        return PlatformCall(h, HttpMethod.Post, "/reports", h.Chance(0.2) ? h.Corrupt(Encoding.UTF8.GetBytes(json)) : Encoding.UTF8.GetBytes(json));
    });

    [Fact]
    public async Task PlatformBatch_HostileBatches_NeverFail() => await FuzzAsync("platform batch", 7, (h, i) =>
    {
        var items = Enumerable.Range(0, 1 + h.Next(4)).Select(_ => h.Chance(0.5) ? PlatformFixture.Minimal() : h.MutateJson(PlatformFixture.Minimal()));
        var json = h.MutateJson("{\"reports\":[" + string.Join(',', items) + "]}");
        return PlatformCall(h, HttpMethod.Post, "/reports/batch", h.Chance(0.2) ? h.Corrupt(Encoding.UTF8.GetBytes(json)) : Encoding.UTF8.GetBytes(json));
    });

    [Fact]
    public async Task PlatformStatusAndConfirm_HostileIds_NeverFail() => await FuzzAsync("platform status/confirm", 8, (h, i) =>
    {
        var id = h.Next(3) switch
        {
            0 => PathSegment(h),
            1 => "01ARZ3NDEKTSV4RRFFQ69G5FAV" + (h.Chance(0.5) ? "-" + PathSegment(h) : string.Empty),
            _ => new string('Z', 1 + h.Next(2000)),
        };
        var confirm = h.MutateJson("""{"outcome":"removed","removedAt":"2026-11-21T09:42:00Z","note":"gone"}""");
        return h.Chance(0.5)
            ? PlatformCall(h, HttpMethod.Get, "/reports/" + id, [])
            : PlatformCall(h, HttpMethod.Post, $"/takedowns/{id}/confirm", h.Chance(0.2) ? h.Corrupt(Encoding.UTF8.GetBytes(confirm)) : Encoding.UTF8.GetBytes(confirm));
    });

    [Fact]
    public async Task QueueFunctions_HostileInvocations_NeverFail() => await FuzzAsync("custom-handler invocations", 9, (h, i) =>
    {
        var (function, binding) = h.Chance(0.5) ? ("ProcessReport", "report") : ("BotTurn", "turn");
        var inner = h.Chance(0.5) ? h.MutateJson("""{"schema":"hub.report/v1","id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","channel":"sms","channelInstance":"fz-sms","source":{"provider":"x","providerMessageId":"p"}}""") : h.OddString();
        var json = h.MutateJson(new JsonObject { ["Data"] = new JsonObject { [binding] = inner }, ["Metadata"] = new JsonObject { ["DequeueCount"] = h.Next(10) } }.ToJsonString());
        return new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = Bytes(h.Chance(0.2) ? h.Corrupt(Encoding.UTF8.GetBytes(json)) : Encoding.UTF8.GetBytes(json), "application/json") };
    });
}

/// <summary>The fuzz run saturates both cores for two minutes: alone, so storage-timed tests never compete with it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzRunsAlone
{
    public const string Name = "fuzz";
}

/// <summary>
/// Every hostile URL through every path that fetches (SMS media and voice recordings inside the webhook, chat
/// attachments in the turn processor, driven here by hand): no connection reaches the canary, and each refusal
/// is recorded on the report's evidence instead of being dropped.
/// </summary>
public sealed class SsrfCanaryTests(FuzzFixture hub) : IClassFixture<FuzzFixture>
{
    [Fact]
    public async Task HostileMediaUrls_EveryFetchPath_NoConnectionToAForbiddenAddress()
    {
        var urls = hub.ForbiddenUrls.ToList();
        foreach (var url in urls)
        {
            var sid = ProviderRequests.NewSid();
            var form = ProviderRequests.TwilioSms(sid, "ảnh đây");
            form.RemoveAll(p => p.Key == "NumMedia");
            form.Add(new("NumMedia", "1"));
            form.Add(new("MediaUrl0", url));
            form.Add(new("MediaContentType0", "image/jpeg"));
            using var sms = await hub.Client.SendAsync(ProviderRequests.Twilio("fz-sms", form));
            sms.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, url);

            var user = ChatFixture.NewUser();
            using var fb = await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(user, "m_" + Guid.NewGuid().ToString("N"), null, attachmentUrl: url)));
            fb.IsSuccessStatusCode.ShouldBeTrue(url);
            using var zl = await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(ChatFixture.NewUser(), "z" + Guid.NewGuid().ToString("N"), "ảnh", TimeProvider.System.GetUtcNow(), imageUrl: url)));
            zl.IsSuccessStatusCode.ShouldBeTrue(url);
        }

        // The turn processor fetches chat attachments: drive it until the queue is empty.
        var turns = hub.Worker(Hub.Functions.Chat.BotTurnProcessor.FunctionName);
        var deadline = DateTimeOffsetClock.Elapsed(TimeSpan.FromSeconds(90));
        while (!deadline.IsExpired && await turns.PollOnceAsync(CancellationToken.None) > 0)
        {
        }

        hub.CanaryConnections.ShouldBe(0);
        var sms0 = await hub.PeekReportsAsync();
        sms0.ShouldContain(m => m.Contains("non-public address", StringComparison.Ordinal) || m.Contains("not allowed", StringComparison.Ordinal));
    }
}
