using System.Text.Json;
using Azure.Data.Tables;
using Hub.Core.Signatures;
using Hub.Functions.Cases;
using Hub.Functions.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Cli;

/// <summary>
/// <c>demo voice</c>: replays a whole simulated 111 call against the running hub, signed as Twilio signs it:
/// the call comes in, the caller presses 1 for a counsellor, waits on hold, hangs up before anyone answers,
/// and the call ends. Prints each TwiML answer, then the call's one case: a missed call to return.
/// </summary>
internal static class VoiceDemo
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> RunAsync(IServiceProvider sp, TextWriter output)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        var (instance, channel) = sp.GetRequiredService<IOptions<ChannelsOptions>>().Value.Instances.FirstOrDefault(i => i.Value.Type == Hub.Functions.Channels.TwilioVoice.TwilioVoiceDescriptor.TypeName);
        if (channel is null)
        {
            output.WriteLine("No twilio-voice channel is configured (Hub:Channels:{name}:Type = twilio-voice).");
            return 2;
        }

        var callSid = "CA" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        (string Action, string Query, (string, string)[] Fields)[] script =
        [
            ("incoming", string.Empty, [("CallStatus", "ringing")]),
            ("menu", "?attempt=1", [("Digits", "1")]),
            ("hold", string.Empty, [("QueueTime", "30"), ("QueuePosition", "2")]),
            ("queue-result", string.Empty, [("QueueResult", "hangup"), ("QueueTime", "45")]),
            ("status", string.Empty, [("CallStatus", "completed"), ("CallDuration", "60")]),
        ];
        using var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        output.WriteLine($"Replaying call {callSid} on twilio-voice/{instance}:");
        foreach (var (action, query, fields) in script)
        {
            var form = new List<KeyValuePair<string, string>>
            {
                new("AccountSid", channel.AccountSid ?? "ACdemo"), new("ApiVersion", "2010-04-01"), new("CallSid", callSid),
                new("CallStatus", "in-progress"), new("Direction", "inbound"), new("From", "+84912345678"), new("To", "+842873000111"),
                new("FromCountry", "VN"), new("ToCountry", "VN"),
            };
            foreach (var (k, v) in fields)
            {
                form.RemoveAll(p => p.Key == k);
                form.Add(new(k, v));
            }

            var path = $"{ChannelEndpoint.Route}/{Hub.Functions.Channels.TwilioVoice.TwilioVoiceDescriptor.TypeName}/{instance}/{action}{query}";
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(channel.AuthToken!, channel.WebhookUrl ?? hub.PublicBaseUrl.TrimEnd('/') + path, form));
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"\n  {action} ({string.Join(", ", fields.Select(f => $"{f.Item1}={f.Item2}"))}) → {(int)response.StatusCode}");
            if (body.Length > 0)
            {
                output.WriteLine("  " + body.Replace("<?xml version=\"1.0\" encoding=\"utf-8\"?>", string.Empty, StringComparison.Ordinal));
            }

            if (!response.IsSuccessStatusCode)
            {
                return 1;
            }
        }

        // The case follows the call's last revision once the processor has caught up.
        var storage = sp.GetRequiredService<HubStorage>();
        var call = (await storage.Table(Hub.Functions.Channels.TwilioVoice.CallStore.TableName).GetEntityAsync<TableEntity>(TableKeys.Escape(instance), TableKeys.Escape(callSid))).Value;
        var revision = call.GetInt32("Revision") ?? 1;
        var cases = sp.GetRequiredService<ICaseStore>();
        for (var i = 0; i < 80; i++)
        {
            if (await cases.FindAsync(instance, callSid, CancellationToken.None) is { } e && e.Revision >= revision)
            {
                using var doc = JsonDocument.Parse(e.Envelope);
                output.WriteLine($"\nOne case for the call: {e.ReferenceCode} (revision {revision}, urgency {e.Urgency}, status {CaseRecord.StatusName(e.Status)}):");
                output.WriteLine(JsonSerializer.Serialize(doc.RootElement, Indented));
                return 0;
            }

            await Task.Delay(250);
        }

        output.WriteLine("The call was accepted but its case did not reach the last revision within 20 s: is the hub's processor running?");
        return 1;
    }
}
