using System.Collections;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hub.Core.Signatures;
using Hub.Functions.Telemetry;
using Hub.Functions.Tests.Infrastructure;
using Hub.Simulators;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace Hub.Functions.Tests.Telemetry;

/// <summary>A thread-safe span list for the in-memory exporter (spans end on many threads).</summary>
public sealed class SpanCollection : ICollection<Activity>
{
    private readonly List<Activity> _items = [];

    public int Count
    {
        get
        {
            lock (_items)
            {
                return _items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public IReadOnlyList<Activity> Snapshot()
    {
        lock (_items)
        {
            return [.. _items];
        }
    }

    public void Add(Activity item)
    {
        lock (_items)
        {
            _items.Add(item);
        }
    }

    public void Clear()
    {
        lock (_items)
        {
            _items.Clear();
        }
    }

    public bool Contains(Activity item) => Snapshot().Contains(item);

    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().ToArray().CopyTo(array, arrayIndex);

    public bool Remove(Activity item)
    {
        lock (_items)
        {
            return _items.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// The hub with every channel type (SMS, gateway, Messenger, Zalo on the provider simulator, 111 voice, platform, web
/// form), telemetry on and an in-memory trace exporter: what an operator's collector would receive.
/// </summary>
public sealed class TelemetryFixture : ChatFixture
{
    public SpanCollection Spans { get; } = new();

    public PlatformSimulator Platform { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Hub:Telemetry:Enabled"] = "true";
            settings["Hub:Telemetry:SampleInterval"] = "01:00:00"; // the tests take their samples themselves
            settings["Hub:Platforms:tt:Secret"] = TestSecrets.PlatformSecret;
            settings["Hub:Platforms:tt:CallbackUrl"] = Platform.CallbackUrl;
            settings["Hub:Platforms:tt:RatePerMinute"] = "100000";
            settings["Hub:Signing:Keys:t1"] = TestSecrets.SigningKeyPem;
            settings["Hub:Signing:ActiveKeyId"] = "t1";
            settings["Hub:Channels:hn-111:Type"] = "twilio-voice";
            settings["Hub:Channels:hn-111:AccountSid"] = TestSecrets.TwilioAccountSid;
            settings["Hub:Channels:hn-111:AuthToken"] = TestSecrets.TwilioAuthToken;
            settings["Hub:Channels:hn-111:Province"] = "01";
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        Platform = await PlatformSimulator.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Platform.DisposeAsync();
    }

    protected override void ConfigureServices(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans));

    /// <summary>The spans of one trace so far.</summary>
    public IReadOnlyList<Activity> Trace(ActivityTraceId id) => Spans.Snapshot().Where(s => s.TraceId == id).ToList();
}

public sealed class TelemetryTests(TelemetryFixture hub) : IClassFixture<TelemetryFixture>
{
    private const string Phone = "+84911777555";

    [Fact]
    public async Task Trace_OfAnSms_RunsFromTheWebhookThroughTheQueueToItsCase()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var sid = ProviderRequests.NewSid();
        var request = ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "có người dọa em", from: Phone));
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01"); // the provider's own trace, continued
        using (var response = await hub.Client.SendAsync(request))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await hub.WaitForCaseAsync("hn-sms", sid)).ShouldNotBeNull();
        await Eventually.TrueAsync(() => Task.FromResult(hub.Trace(traceId).Any(s => s.DisplayName == "case write")), 20);
        var spans = hub.Trace(traceId);

        var webhook = spans.Single(s => s.Kind == ActivityKind.Server);
        webhook.GetTagItem("http.route").ShouldBe("/api/channels/twilio-sms/{instance}");
        webhook.GetTagItem("url.path").ShouldBe("/api/channels/twilio-sms/{instance}");
        webhook.GetTagItem("hub.channel").ShouldBe("twilio-sms");
        webhook.GetTagItem("http.response.status_code").ShouldBe(200);

        var intake = spans.Single(s => s.DisplayName == "intake");
        intake.ParentSpanId.ShouldBe(webhook.SpanId);
        intake.GetTagItem("hub.channel_instance").ShouldBe("hn-sms");
        var storageCalls = spans.Where(s => s.Kind == ActivityKind.Client && s.ParentSpanId == intake.SpanId).ToList();
        storageCalls.Count.ShouldBeGreaterThanOrEqualTo(3, "the dedup lookup, the raw blob, the queue message, the dedup row");
        storageCalls.ShouldContain(s => ((string)s.GetTagItem("url.full")!).Contains("/reports/messages", StringComparison.Ordinal));

        // The queue hop: the processor's span continues the envelope's trace.traceparent.
        var process = spans.Single(s => s.Kind == ActivityKind.Consumer);
        process.DisplayName.ShouldBe("process reports");
        process.ParentSpanId.ShouldBe(intake.SpanId);
        process.GetTagItem("hub.outcome").ShouldBe("Created");
        var write = spans.Single(s => s.DisplayName == "case write");
        write.ParentSpanId.ShouldBe(process.SpanId);
        spans.ShouldContain(s => s.DisplayName == "route" && s.ParentSpanId == write.SpanId && (string?)s.GetTagItem("hub.team") != null);
        spans.ShouldContain(s => s.Source.Name == "Npgsql" && s.ParentSpanId == write.SpanId, "the case's SQL");
    }

    [Fact]
    public async Task Trace_OfAChatMessage_RunsFromTheWebhookThroughItsBotTurnToTheReplysSendCall()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var psid = ChatFixture.NewUser();
        var request = ChatFixture.Messenger(ChatFixture.MessengerText(psid, $"m_{psid}_1", "xin chào"));
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using (var response = await hub.Client.SendAsync(request))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await hub.Provider.WaitForRepliesAsync(psid, 1, TimeSpan.FromSeconds(20))).ShouldNotBeEmpty();
        await Eventually.TrueAsync(() => Task.FromResult(hub.Trace(traceId).Any(s => s.Kind == ActivityKind.Consumer && s.Duration > TimeSpan.Zero)), 20);
        var spans = hub.Trace(traceId);
        // The provider simulator's own server span is in the trace too (the Send API call propagates it): the hub's is the one with a channel.
        var webhook = spans.Single(s => s.Kind == ActivityKind.Server && s.GetTagItem("hub.channel") is not null);
        webhook.GetTagItem("hub.channel").ShouldBe("messenger");
        var turn = spans.Single(s => s.Kind == ActivityKind.Consumer);
        turn.DisplayName.ShouldBe("process bot-turns");
        turn.ParentSpanId.ShouldNotBe(default, "the turn continues the webhook's trace");
        spans.ShouldContain(s => s.Kind == ActivityKind.Client && s.StartTimeUtc >= turn.StartTimeUtc && ((string?)s.GetTagItem("url.full") ?? string.Empty).EndsWith("/me/messages", StringComparison.Ordinal),
            "the reply's Send API call is in the child's message's trace");
    }

    [Fact]
    public async Task Trace_ThroughThePayloadModeTrigger_ContinuesTheEnvelopesTrace_AndLinksTheHostsInvocation()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        var envelope = TestEnvelopes.For(ProviderRequests.NewSid()) with { Trace = new Hub.Core.Envelope.TraceContext { Traceparent = $"00-{traceId}-{parent}-01" } };
        var json = System.Text.Json.JsonSerializer.Serialize(envelope, Hub.Core.Envelope.HubJsonContext.Default.ReportEnvelope);
        var hostTrace = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ProcessReport")
        {
            Content = new StringContent(new JsonObject { ["Data"] = new JsonObject { ["report"] = json }, ["Metadata"] = new JsonObject { ["DequeueCount"] = 1 } }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{hostTrace}-{ActivitySpanId.CreateRandom()}-01"); // the Functions host's invocation
        using (var response = await hub.Client.SendAsync(request))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await Eventually.TrueAsync(() => Task.FromResult(hub.Trace(traceId).Any(s => s.Kind == ActivityKind.Consumer)), 10);
        var process = hub.Trace(traceId).Single(s => s.Kind == ActivityKind.Consumer);
        process.ParentSpanId.ShouldBe(parent);
        process.Links.ShouldContain(l => l.Context.TraceId == hostTrace, "the invocation that delivered it is linked, not lost");
        hub.Trace(traceId).ShouldContain(s => s.DisplayName == "case write" && s.ParentSpanId == process.SpanId);
    }

    [Fact]
    public async Task Spans_WhileEveryChannelRuns_HoldNoSecretNumberUserIdOrText()
    {
        var now = TimeProvider.System.GetUtcNow();
        var marker = "Tn" + Guid.NewGuid().ToString("N")[..10]; // a word only this test's texts contain
        var smsSid = ProviderRequests.NewSid();
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(smsSid, $"em bi doa {marker}", from: Phone)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(ProviderRequests.NewSid(), marker, from: Phone), signature: "AAAA"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var gatewayId = "vt-" + Guid.NewGuid().ToString("N");
        (await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson(gatewayId, $"giup em {marker}", from: "0911777555"), now))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var psid = ChatFixture.NewUser();
        (await hub.Client.SendAsync(ChatFixture.Messenger(ChatFixture.MessengerText(psid, $"m_{psid}_1", $"xin chao {marker}")))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var zaloUser = ChatFixture.NewUser();
        (await hub.Client.SendAsync(ChatFixture.Zalo(ChatFixture.ZaloText(zaloUser, $"z{zaloUser}1", $"cuu em {marker}", now)))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var callSid = "CA" + Guid.NewGuid().ToString("N");
        foreach (var (action, fields, query) in new[] { ("incoming", "", (string?)null), ("menu", "Digits=1", "attempt=1"), ("queue-result", "QueueResult=hangup&QueueTime=40", null), ("status", "CallStatus=completed&CallDuration=55", null) })
        {
            using var response = await hub.Client.SendAsync(Voice(action, callSid, fields, query));
            ((int)response.StatusCode).ShouldBeLessThan(300, action);
        }

        var platformId = PlatformFixture.NewId();
        (await hub.Client.SendAsync(PlatformFixture.Call(HttpMethod.Post, "/reports", PlatformFixture.Minimal(platformId)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var web = await WebForms.ReportWithScreenshotAsync(hub, WebForms.Png(), $"Có người dọa em {marker}");

        (await hub.WaitForCaseAsync("hn-sms", smsSid)).ShouldNotBeNull();
        (await hub.WaitForCaseAsync("vt-gw", gatewayId)).ShouldNotBeNull();
        (await hub.WaitForCaseAsync("tt", platformId)).ShouldNotBeNull();
        web.ShouldNotBeNull();
        (await hub.Provider.WaitForRepliesAsync(psid, 1, TimeSpan.FromSeconds(20))).ShouldNotBeEmpty("the bot answered through the Graph API (an outbound span)");
        (await hub.Provider.WaitForRepliesAsync(zaloUser, 1, TimeSpan.FromSeconds(20))).ShouldNotBeEmpty();

        var spans = hub.Spans.Snapshot();
        spans.Select(s => (string?)s.GetTagItem("hub.channel")).Distinct().ShouldBe(["twilio-sms", "sms-gateway", "messenger", "zalo", "twilio-voice", "platform", "web", null], ignoreOrder: true, "every channel was traced");
        spans.ShouldContain(s => s.Kind == ActivityKind.Client && ((string?)s.GetTagItem("url.full") ?? string.Empty).Contains("/me/messages", StringComparison.Ordinal), "the Messenger send call");

        var forbidden = TestSecrets.All.Concat(
        [
            Phone, Phone[1..], "0911777555", "911777555", psid, zaloUser, marker, callSid,
            TestSecrets.MetaPageToken, hub.Provider.ZaloAccessToken, "Có người dọa em",
        ]).ToList();
        foreach (var span in spans)
        {
            var texts = new List<string> { span.DisplayName, span.StatusDescription ?? string.Empty };
            texts.AddRange(span.TagObjects.Select(t => $"{t.Key}={t.Value}"));
            texts.AddRange(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}")));
            texts.AddRange(span.Baggage.Select(b => $"{b.Key}={b.Value}"));
            foreach (var text in texts)
            {
                foreach (var value in forbidden)
                {
                    text.Contains(value, StringComparison.OrdinalIgnoreCase).ShouldBeFalse($"span '{span.DisplayName}' ({span.Source.Name}) holds '{value}': {text}");
                }

                text.ShouldNotContain("?", customMessage: $"no query string in span '{span.DisplayName}': {text}");
                text.ShouldNotContain("RowKey", customMessage: $"no table key in span '{span.DisplayName}': {text}");
            }
        }
    }

    [Fact]
    public async Task Metrics_CountRequestsByStatusClass_SignatureRefusals_Acknowledgements_AndProcessing()
    {
        using var recorded = new Recorded(hub.Services.GetRequiredService<HubMetrics>().Meter);
        var sid = ProviderRequests.NewSid();
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hello", from: Phone)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(ProviderRequests.NewSid(), "x", from: Phone), signature: "AAAA"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await hub.Client.SendAsync(ProviderRequests.Gateway("vt-gw", ProviderRequests.GatewayJson("vt-" + Guid.NewGuid().ToString("N"), "hi"), TimeProvider.System.GetUtcNow(), timestamp: 1))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await hub.Storage.Reports.SendMessageAsync("not an envelope");
        (await hub.WaitForCaseAsync("hn-sms", sid)).ShouldNotBeNull();
        await Eventually.TrueAsync(() => Task.FromResult(recorded.Sum(MetricNames.Poisoned, ("queue", "reports")) >= 1), 20);
        await Eventually.TrueAsync(() => Task.FromResult(recorded.Sum(MetricNames.Processed, ("queue", "reports"), ("outcome", "succeeded")) >= 1), 20);

        recorded.Sum(MetricNames.WebhookRequests, ("channel", "twilio-sms"), ("status_class", "2xx")).ShouldBeGreaterThanOrEqualTo(1);
        recorded.Sum(MetricNames.WebhookRequests, ("channel", "twilio-sms"), ("status_class", "4xx")).ShouldBeGreaterThanOrEqualTo(1);
        recorded.Sum(MetricNames.SignatureRefused, ("channel", "twilio-sms")).ShouldBeGreaterThanOrEqualTo(1);
        recorded.Sum(MetricNames.SignatureRefused, ("channel", "sms-gateway")).ShouldBeGreaterThanOrEqualTo(1, "a stale timestamp (a replay) is refused too");
        recorded.Count(MetricNames.WebhookDuration, ("channel", "twilio-sms")).ShouldBeGreaterThanOrEqualTo(2);
        recorded.Sum(MetricNames.Accepted, ("report_channel", "sms"), ("via", "storage")).ShouldBeGreaterThanOrEqualTo(1);
        recorded.Sum(MetricNames.Processed, ("queue", "reports"), ("outcome", "poisoned")).ShouldBeGreaterThanOrEqualTo(1);
        recorded.Count(MetricNames.ProcessorDuration, ("queue", "reports")).ShouldBeGreaterThanOrEqualTo(2);
        recorded.Tags().ShouldNotContain(t => t.Contains("911777555", StringComparison.Ordinal) || t.Contains(sid, StringComparison.Ordinal), "no number or id in any attribute");
    }

    [Fact]
    public async Task Gauges_AfterASample_ReportQueuesPoisonChatsOverdueAndTheHashIndex()
    {
        await hub.Storage.ReportsPoison.CreateIfNotExistsAsync();
        await hub.Services.GetRequiredService<Hub.Functions.Messaging.PoisonMessages>().SendAsync("{}", "test", 5, CancellationToken.None);
        await hub.Services.GetServices<IHostedService>().OfType<TelemetrySampler>().Single().SampleAsync(CancellationToken.None);

        using var recorded = new Recorded(hub.Services.GetRequiredService<HubMetrics>().Meter);
        recorded.Observe();
        recorded.Last(MetricNames.PoisonDepth, ("queue", "reports")).ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(1);
        foreach (var queue in new[] { "reports", "bot-turns" })
        {
            recorded.Last(MetricNames.QueueDepth, ("queue", queue)).ShouldNotBeNull(queue);
            recorded.Last(MetricNames.QueueOldestAge, ("queue", queue)).ShouldNotBeNull(queue).ShouldBeGreaterThanOrEqualTo(0);
        }

        recorded.Last(MetricNames.ChatsWaiting).ShouldNotBeNull();
        recorded.Last(MetricNames.ChatsLongestWait).ShouldNotBeNull();
        recorded.Last(MetricNames.HashIndexSize).ShouldNotBeNull();
        recorded.Names().ShouldNotContain(MetricNames.SpoolPendingBytes, "this fixture has no spool: no spool gauges rather than zeros");
    }

    [Fact]
    public async Task Gauges_CountOverdueCasesByTeamAndUrgency()
    {
        var sid = ProviderRequests.NewSid();
        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(sid, "hello", from: Phone)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var created = (await hub.WaitForCaseAsync("hn-sms", sid)).ShouldNotBeNull();
        await hub.Postgres.ExecuteAsync($"UPDATE cases SET first_response_due = now() - interval '1 hour' WHERE id = '{created.Id}'");
        await hub.Services.GetServices<IHostedService>().OfType<TelemetrySampler>().Single().SampleAsync(CancellationToken.None);

        using var recorded = new Recorded(hub.Services.GetRequiredService<HubMetrics>().Meter);
        recorded.Observe();
        recorded.Last(MetricNames.CasesOverdue, ("team", created.TeamId), ("urgency", created.Urgency), ("clock", "first_response")).ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public void Meter_PublishesEveryNamedMetric_AndNoOther()
    {
        using var recorded = new Recorded(hub.Services.GetRequiredService<HubMetrics>().Meter);
        recorded.Published.ShouldBe(MetricNames.All, ignoreOrder: true);
    }

    [Theory]
    [InlineData("https://127.0.0.1:10002/devstoreaccount1/intake(PartitionKey='hn-sms',RowKey='SM123')?$select=x", "https://127.0.0.1:10002/devstoreaccount1/intake(…)")]
    [InlineData("https://graph.facebook.com/v21.0/me/messages?access_token=secret", "https://graph.facebook.com/v21.0/me/messages")]
    [InlineData("https://graph.facebook.com/v21.0/1234567890123/picture", "https://graph.facebook.com/v21.0/{id}/picture")]
    [InlineData("https://openapi.zalo.me/v3.0/oa/message/cs", "https://openapi.zalo.me/v3.0/oa/message/cs")]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/%2B84911777555.json", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/{id}")]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/raw/hn-sms/2026/12/04/01JABC.1a2b3c4d.bin", "http://127.0.0.1:10000/devstoreaccount1/raw/hn-sms/2026/12/04/01JABC.1a2b3c4d.bin")]
    public void ScrubUrl_DropsQueriesTableKeysAndIdSegments(string url, string expected) =>
        TraceScrubber.ScrubUrl(new Uri(url)).ShouldBe(expected);

    [Fact]
    public void TraceOf_ReadsTheEnvelopesTraceparent_AndNothingElse()
    {
        QueueTelemetry.TraceOf("""{"schema":"hub.report/v1","incident":{"trace":"no"},"trace":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}""")
            .ShouldBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        QueueTelemetry.TraceOf("""{"schema":"hub.report/v1","incident":{"trace":{"traceparent":"nested"}}}""").ShouldBeNull();
        QueueTelemetry.TraceOf("not json").ShouldBeNull();
        QueueTelemetry.TraceOf("{\"trace\":").ShouldBeNull();
    }

    private static HttpRequestMessage Voice(string action, string callSid, string fields, string? query)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", TestSecrets.TwilioAccountSid), new("ApiVersion", "2010-04-01"), new("CallSid", callSid),
            new("CallStatus", "in-progress"), new("Called", "+842873000111"), new("Caller", Phone), new("Direction", "inbound"),
            new("From", Phone), new("FromCountry", "VN"), new("To", "+842873000111"), new("ToCountry", "VN"),
        };
        foreach (var pair in fields.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)))
        {
            form.RemoveAll(p => p.Key == pair[0]);
            form.Add(new(pair[0], pair[1]));
        }

        var path = $"/api/channels/twilio-voice/hn-111/{action}" + (query is null ? string.Empty : "?" + query);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(TestSecrets.TwilioAuthToken, HubFixture.PublicBaseUrl + path, form));
        return request;
    }

    /// <summary>Everything one host's meter records while it lives (a <see cref="MeterListener"/> on that meter only).</summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

        public Recorded(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    lock (_measurements)
                    {
                        Published.Add(instrument.Name);
                    }

                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i.Name, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i.Name, v, tags));
            _listener.Start();
        }

        public List<string> Published { get; } = [];

        public void Observe() => _listener.RecordObservableInstruments();

        public double Sum(string name, params (string Key, string Value)[] tags) => Matching(name, tags).Sum(m => m.Value);

        public int Count(string name, params (string Key, string Value)[] tags) => Matching(name, tags).Count;

        public double? Last(string name, params (string Key, string Value)[] tags) => Matching(name, tags).Select(m => (double?)m.Value).LastOrDefault();

        public List<string> Names()
        {
            lock (_measurements)
            {
                return _measurements.Select(m => m.Name).Distinct().ToList();
            }
        }

        public List<string> Tags()
        {
            lock (_measurements)
            {
                return _measurements.SelectMany(m => m.Tags.Select(t => $"{t.Key}={t.Value}")).Distinct().ToList();
            }
        }

        public void Dispose() => _listener.Dispose();

        private List<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> Matching(string name, (string Key, string Value)[] tags)
        {
            lock (_measurements)
            {
                return _measurements.Where(m => m.Name == name && tags.All(t => m.Tags.Any(x => x.Key == t.Key && Equals(x.Value?.ToString(), t.Value)))).ToList();
            }
        }

        private void Add(string name, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = tags.ToArray();
            lock (_measurements)
            {
                _measurements.Add((name, value, copy));
            }
        }
    }
}

/// <summary>Development's Prometheus endpoint: on its own loopback listener, never on the public one.</summary>
public sealed class PrometheusTests(PrometheusTests.Fixture hub) : IClassFixture<PrometheusTests.Fixture>
{
    public sealed class Fixture : HubFixture
    {
        protected override string EnvironmentName => "Development";

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Hub:Telemetry:PrometheusPort"] = "0", // the kernel picks (run.sh's default is 9464)
            ["Hub:Telemetry:MeterName"] = "Hub.PrometheusTests", // its exporter must not also aggregate the other test hubs' meters
            ["Hub:Telemetry:SampleInterval"] = "00:00:00.200",
        };
    }

    [Fact]
    public async Task Scrape_AfterTraffic_ShowsTheMetricsMoving_OnLoopbackOnly()
    {
        var server = hub.Services.GetRequiredService<PrometheusScrapeServer>();
        var address = server.Address.ShouldNotBeNull();
        address.IsLoopback.ShouldBeTrue();
        using var scraper = new HttpClient();

        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(ProviderRequests.NewSid(), "hello")))).StatusCode.ShouldBe(HttpStatusCode.OK);
        string first = string.Empty;
        await Eventually.TrueAsync(async () =>
        {
            first = await scraper.GetStringAsync(address);
            return first.Contains("hub_queue_depth", StringComparison.Ordinal);
        }, 20);
        first.ShouldContain("hub_webhook_requests_total{");
        first.ShouldContain("channel=\"twilio-sms\"");
        first.ShouldContain("hub_webhook_duration_seconds_bucket{");
        var before = Total(first);

        (await hub.Client.SendAsync(ProviderRequests.Twilio("hn-sms", ProviderRequests.TwilioSms(ProviderRequests.NewSid(), "again")))).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Eventually.TrueAsync(async () => Total(await scraper.GetStringAsync(address)) > before, 20);

        (await scraper.GetAsync(new Uri(address, "/api/health"))).StatusCode.ShouldBe(HttpStatusCode.NotFound, "the scrape listener serves nothing else");
        (await hub.Client.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "never on the public listener");
    }

    private static double Total(string scrape) => scrape.Split('\n')
        .Where(l => l.StartsWith("hub_webhook_requests_total{", StringComparison.Ordinal) && l.Contains("channel=\"twilio-sms\"", StringComparison.Ordinal) && l.Contains("status_class=\"2xx\"", StringComparison.Ordinal))
        .Sum(l => double.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
}
