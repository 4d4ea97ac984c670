using System.Globalization;
using System.Text;
using System.Text.Json;
using Hub.Bots.Activities;
using Hub.Core.Signatures;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Hub.Simulators;
using Microsoft.Extensions.Options;

namespace Hub.Cli;

/// <summary>
/// <c>demo messenger|zalo</c>: plays a child's conversation against the running hub. It starts the provider
/// simulator on port 7072 (where the Development demo channels send replies), posts each message as a signed
/// webhook, prints the bot's replies as the simulator receives them, then prints the report's case.
/// </summary>
internal static class ChatDemo
{
    public const int SimulatorPort = 7072;

    private static readonly (string? Text, string? Payload)[] Script =
    [
        ("Xin chào", null),
        ("Không", "NO"),
        ("Bị dọa tung ảnh", "CAT:OCSEA.SEXTORTION"),
        ("Với mình", "WHO:self"),
        ("14–15", "AGE:14-15"),
        ("em ở Bình Dương", null),
        ("nó nhắn em qua https://tiktok.com/@ke_xau", null),
        ("Xong", "DONE"),
        ("Không, cảm ơn", "NO"),
    ];

    /// <summary>A simulated child on one chat channel instance: posts their messages as the provider's signed webhooks.</summary>
    private sealed class Child(HttpClient http, string type, string instance, ChannelOptions channel, TimeProvider time)
    {
        private int _n;

        public string User { get; } = "demo" + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);

        private string Account => type == Hub.Functions.Channels.Messenger.MessengerDescriptor.TypeName ? "1234567890" : channel.OaId ?? "388613280878808645";

        public string ConversationId => Conversations.IdFor(type, Account, User);

        public async Task<HttpResponseMessage> SayAsync(string? text, string? payload)
        {
            _n++;
            var (path, body, header, signature) = type == Hub.Functions.Channels.Messenger.MessengerDescriptor.TypeName
                ? Messenger(instance, channel, User, Account, $"m_{User}_{_n}", text, payload, time.GetUtcNow())
                : Zalo(instance, channel, User, Account, $"{User}{_n}", Render(text, payload), time.GetUtcNow());
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add(header, signature);
            return await http.SendAsync(request);
        }
    }

    /// <summary>The first configured instance of the chat channel type, or null (and says so).</summary>
    private static (string Instance, ChannelOptions Channel)? Instance(IServiceProvider sp, string type, TextWriter output)
    {
        var (instance, channel) = sp.GetRequiredService<IOptions<ChannelsOptions>>().Value.Instances.FirstOrDefault(i => i.Value.Type == type);
        if (channel is null)
        {
            output.WriteLine($"No {type} channel is configured (Hub:Channels:{{name}}:Type = {type}).");
            return null;
        }

        return (instance, channel);
    }

    public static async Task<int> RunAsync(IServiceProvider sp, string type, TextWriter output)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        if (Instance(sp, type, output) is not var (instance, channel))
        {
            return 2;
        }

        await using var simulator = await ProviderSimulator.StartAsync(SimulatorPort);
        simulator.Lenient = true;
        using var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        var child = new Child(http, type, instance, channel, sp.GetRequiredService<TimeProvider>());
        var user = child.User;
        output.WriteLine($"Playing a conversation on {type}/{instance} as user {user}; replies are captured by the simulated provider at {simulator.BaseUrl}.");
        foreach (var (text, payload) in Script)
        {
            var before = simulator.RepliesTo(user).Count;
            using var response = await child.SayAsync(text, payload);
            output.WriteLine($"\n  child: {text}   → webhook {(int)response.StatusCode}");
            if (!response.IsSuccessStatusCode)
            {
                output.WriteLine(await response.Content.ReadAsStringAsync());
                return 1;
            }

            // Wait until the replies stop coming (the bot may send several messages per turn).
            var seen = before;
            for (var quiet = 0; quiet < 8;)
            {
                await Task.Delay(250);
                var now = simulator.RepliesTo(user);
                if (now.Count > seen)
                {
                    foreach (var r in now.Skip(seen))
                    {
                        output.WriteLine($"  bot:   {r.Text.Replace("\n", "\n         ", StringComparison.Ordinal)}{(r.QuickReplies.Count > 0 ? "\n         [" + string.Join("] [", r.QuickReplies) + "]" : string.Empty)}");
                    }

                    seen = now.Count;
                    quiet = 0;
                }
                else
                {
                    quiet += seen > before ? 1 : 0;
                    if (seen == before && ++quiet > 80)
                    {
                        output.WriteLine("  (no reply in 20 s: is the hub running with its processor on?)");
                        return 1;
                    }
                }
            }
        }

        var key = sp.GetRequiredService<PrivacyServices>().Pseudonymizer.For("conversation", child.ConversationId);
        output.WriteLine();
        return await Demos.ShowCaseAsync(sp, instance, $"{key}/s1", output);
    }

    /// <summary>
    /// <c>demo messenger handoff</c>: the child asks for a person; the counsellor answers in the console. Each reply
    /// that reaches the simulated provider is printed; each line typed here is sent as the child's next message.
    /// Ends after ten quiet minutes, or at end of input.
    /// </summary>
    public static async Task<int> HandoffAsync(IServiceProvider sp, string type, TextWriter output, TextReader input)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        if (Instance(sp, type, output) is not var (instance, channel))
        {
            return 2;
        }

        await using var simulator = await ProviderSimulator.StartAsync(SimulatorPort);
        simulator.Lenient = true;
        using var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        var time = sp.GetRequiredService<TimeProvider>();
        var child = new Child(http, type, instance, channel, time);
        var user = child.User;
        var seen = 0;
        async Task<bool> SayAsync(string text, string? payload)
        {
            using var response = await child.SayAsync(text, payload);
            output.WriteLine($"  child: {text}   → webhook {(int)response.StatusCode}");
            return response.IsSuccessStatusCode;
        }

        void Print()
        {
            var now = simulator.RepliesTo(user);
            foreach (var r in now.Skip(seen))
            {
                output.WriteLine($"  reply: {r.Text.Replace("\n", "\n         ", StringComparison.Ordinal)}");
            }

            seen = now.Count;
        }

        output.WriteLine($"A child on {type}/{instance} (user {user}) asks for a person; replies are captured by the simulated provider at {simulator.BaseUrl}.");
        foreach (var (text, payload) in new[] { ("Xin chào", (string?)null), ("Không", "NO"), ("bạn cùng lớp lập nhóm anti em, em muốn gặp người thật", null) })
        {
            if (!await SayAsync(text, payload))
            {
                return 1;
            }

            await Task.Delay(TimeSpan.FromSeconds(3)); // the bot's answers (a demo's pause, not a readiness check)
            Print();
        }

        output.WriteLine($"\nOpen {hub.PublicBaseUrl}/console, sign in as \"Tư vấn viên Tổng đài 111 (demo)\", take the case under \"Trẻ đang chờ người trả lời\" and reply.");
        output.WriteLine("Replies print here as the provider receives them; type a line (Enter) to answer as the child; end of input or 10 quiet minutes ends the demo.");
        var lines = Task.Run(input.ReadLine);
        var quietSince = time.GetUtcNow();
        while (time.GetUtcNow() - quietSince < TimeSpan.FromMinutes(10))
        {
            var before = seen;
            Print();
            if (seen > before)
            {
                quietSince = time.GetUtcNow();
            }

            if (lines.IsCompleted)
            {
                if (await lines is not { } line)
                {
                    break;
                }

                if (line.Trim().Length > 0)
                {
                    await SayAsync(line.Trim(), null);
                    quietSince = time.GetUtcNow();
                }

                lines = Task.Run(input.ReadLine);
            }

            await Task.Delay(500);
        }

        return 0;
    }

    private static string Render(string? text, string? payload) => payload switch
    {
        "NO" => "khong",
        "CAT:OCSEA.SEXTORTION" => "1",
        "WHO:self" => "1",
        "AGE:14-15" => "3",
        "DONE" => "xong",
        _ => text ?? string.Empty,
    };

    private static (string Path, byte[] Body, string Header, string Signature) Messenger(string instance, ChannelOptions o, string user, string page, string mid, string? text, string? payload, DateTimeOffset at)
    {
        var message = new Dictionary<string, object?> { ["mid"] = mid, ["text"] = text };
        if (payload is not null)
        {
            message["quick_reply"] = new Dictionary<string, string> { ["payload"] = payload };
        }

        var ms = at.ToUnixTimeMilliseconds();
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["object"] = "page",
            ["entry"] = new[] { new Dictionary<string, object> { ["id"] = page, ["time"] = ms, ["messaging"] = new[] { new Dictionary<string, object> { ["sender"] = new Dictionary<string, string> { ["id"] = user }, ["recipient"] = new Dictionary<string, string> { ["id"] = page }, ["timestamp"] = ms, ["message"] = message } } } },
        });
        return ($"/api/channels/messenger/{instance}", body, MetaSignature.Header, MetaSignature.Compute(o.AppSecret!, body));
    }

    private static (string Path, byte[] Body, string Header, string Signature) Zalo(string instance, ChannelOptions o, string user, string oa, string msgId, string text, DateTimeOffset at)
    {
        var ts = at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["app_id"] = o.AppId!,
            ["sender"] = new Dictionary<string, string> { ["id"] = user },
            ["user_id_by_app"] = user,
            ["recipient"] = new Dictionary<string, string> { ["id"] = oa },
            ["event_name"] = "user_send_text",
            ["message"] = new Dictionary<string, string> { ["text"] = text, ["msg_id"] = msgId },
            ["timestamp"] = ts,
        });
        var first = o.SignatureVariant == ZaloSignatureVariant.OaId ? o.OaId! : o.AppId!;
        return ($"/api/channels/zalo/{instance}", body, ZaloSignature.Header, ZaloSignature.Compute(first, body, ts, o.OaSecretKey!));
    }
}
