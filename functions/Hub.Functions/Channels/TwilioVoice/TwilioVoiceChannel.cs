using System.Globalization;
using Hub.Core.Envelope;
using Hub.Core.Privacy;
using Hub.Functions.Channels.Twilio;
using Hub.Functions.Hosting;
using Hub.Functions.Intake;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.TwilioVoice;

/// <summary>
/// The 111 line on Twilio Programmable Voice (docs/protocols/twilio.md#voice): <c>POST /api/channels/twilio-voice/{instance}/{action}</c>.
/// Every request's <c>X-Twilio-Signature</c> is checked by the code SMS uses. Each callback is merged into the
/// call's state (table <c>calls</c>) and the call's report is re-emitted as a new revision of one envelope
/// (same CallSid, same reference code), so the case always shows the whole call and a late callback can never
/// open a second case. A call nobody answered and that left no message becomes a missed-call report (high).
/// <list type="bullet">
/// <item><c>incoming</c>: greeting and DTMF menu (9 danger, 1 counsellor, 2 voice report); after hours → voicemail.</item>
/// <item><c>menu</c>: the <c>Gather</c> action; no input → once more, then the counsellor queue.</item>
/// <item><c>hold</c>: the queue's <c>waitUrl</c>; after the maximum wait → <c>Leave</c>.</item>
/// <item><c>queue-result</c>: the <c>Enqueue</c> action (<c>bridged</c>, <c>hangup</c>, <c>leave</c>…).</item>
/// <item><c>record-done</c>, <c>recording</c>: the <c>Record</c> action and recording status callback (download).</item>
/// <item><c>status</c>: the call status callback (final status, duration).</item>
/// </list>
/// </summary>
public static partial class TwilioVoiceChannel
{
    public const string FunctionName = "TwilioVoice";

    public static IEndpointRouteBuilder MapTwilioVoice(this IEndpointRouteBuilder app)
    {
        app.MapChannelWebhook(TwilioVoiceDescriptor.TypeName, FunctionName, HandleAsync, "/{action}");
        return app;
    }

    private static async Task<IResult> HandleAsync(ChannelRequest req, CancellationToken ct)
    {
        var (form, error) = TwilioWebhook.ReadVerified(req);
        if (form is null)
        {
            return error!;
        }

        var callSid = form["CallSid"];
        if (string.IsNullOrWhiteSpace(callSid) || callSid.Length > 64)
        {
            return Problems.BadRequest("CallSid is required (at most 64 characters).", new Dictionary<string, string[]> { ["CallSid"] = ["is required"] });
        }

        var action = req.Http.GetRouteValue("action") as string ?? string.Empty;
        var call = new VoiceCall(req, form, callSid);
        return action switch
        {
            "incoming" => await call.IncomingAsync(ct),
            "menu" => await call.MenuAsync(ct),
            "hold" => call.Hold(),
            "queue-result" => await call.QueueResultAsync(ct),
            "record-done" => call.RecordDone(),
            "recording" => await call.RecordingAsync(ct),
            "status" => await call.StatusAsync(ct),
            _ => Problems.NotFound($"No voice action '{action}'."),
        };
    }

    /// <summary>One callback of one call.</summary>
    private sealed partial class VoiceCall(ChannelRequest req, TwilioForm form, string callSid)
    {
        private readonly VoiceOptions _v = req.Options.Voice;
        private readonly IServiceProvider _services = req.Http.RequestServices;

        /// <summary>
        /// A Twilio field, or null when absent or longer than any real value: the call's state is one table row,
        /// and absurd values (found by the fuzz suite) must not grow it past the storage limits.
        /// </summary>
        private string? Field(string name, int maxLength) => form[name] is { } v && v.Length <= maxLength ? v : null;

        private string Url(string action, string? query = null) =>
            $"{_services.GetRequiredService<IOptions<HubOptions>>().Value.PublicBaseUrl.TrimEnd('/')}{ChannelEndpoint.Route}/{TwilioVoiceDescriptor.TypeName}/{Uri.EscapeDataString(req.Instance)}/{action}{(query is null ? string.Empty : "?" + query)}";

        public async Task<IResult> IncomingAsync(CancellationToken ct)
        {
            var open = _v.IsOpen(_services.GetRequiredService<TimeProvider>().GetUtcNow());
            await UpdateAsync("incoming", s =>
            {
                s.To = Field("To", 32);
                s.AfterHours = !open;
                s.VoicemailOffered |= !open;
                return true;
            }, callerFacing: true, ct);

            if (!open)
            {
                return Twiml.Result(Twiml.Voice(t => t.Say(_v.AfterHours, _v.SayVoice, _v.Language).Record(Url("record-done"), _v.MaxRecordingSeconds, Url("recording")).Say(_v.Thanks, _v.SayVoice, _v.Language).Hangup()));
            }

            return Twiml.Result(Twiml.Voice(t => MenuTwiml(t.Say(_v.Greeting, _v.SayVoice, _v.Language), attempt: 1)));
        }

        public async Task<IResult> MenuAsync(CancellationToken ct)
        {
            var attempt = int.TryParse(req.Http.Request.Query["attempt"], NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? Math.Clamp(a, 1, 3) : 1;
            var digits = Field("Digits", 32) ?? string.Empty;
            var choice = digits switch { "1" => "counsellor", "2" => "report", "9" => "danger", _ => null };
            if (choice is null && attempt < 2)
            {
                // No input or another key: the menu once more.
                await UpdateAsync($"menu:{attempt}:{digits}", s => { s.MenuAttempts = attempt; return true; }, callerFacing: true, ct);
                return Twiml.Result(Twiml.Voice(t => MenuTwiml(t.Say(_v.NotUnderstood, _v.SayVoice, _v.Language), attempt + 1)));
            }

            choice ??= "counsellor"; // still nothing: a person is the safest default
            await UpdateAsync($"menu:{attempt}:{digits}", s =>
            {
                s.MenuAttempts = attempt;
                s.Choice = choice == "danger" || s.Choice is null ? choice : s.Choice; // danger is never downgraded
                return true;
            }, callerFacing: true, ct);
            return Twiml.Result(choice switch
            {
                "report" => Twiml.Voice(t => t.Say(_v.RecordPrompt, _v.SayVoice, _v.Language).Record(Url("record-done"), _v.MaxRecordingSeconds, Url("recording")).Say(_v.Thanks, _v.SayVoice, _v.Language).Hangup()),
                "danger" => Twiml.Voice(t => t.Say(_v.Danger, _v.SayVoice, _v.Language).Enqueue(_v.UrgentQueue, Url("hold"), Url("queue-result"))),
                _ => Twiml.Voice(t => t.Say(_v.Connecting, _v.SayVoice, _v.Language).Enqueue(_v.Queue, Url("hold"), Url("queue-result"))),
            });
        }

        /// <summary>The queue's hold music: a Vietnamese message, and after the maximum wait, leave the queue.</summary>
        public IResult Hold()
        {
            var waited = int.TryParse(form["QueueTime"], NumberStyles.None, CultureInfo.InvariantCulture, out var q) ? q : 0;
            return Twiml.Result(waited >= _v.MaxQueueWaitSeconds
                ? Twiml.Voice(t => t.Leave())
                : Twiml.Voice(t => t.Say(_v.Hold, _v.SayVoice, _v.Language).Pause(15)));
        }

        public async Task<IResult> QueueResultAsync(CancellationToken ct)
        {
            var result = Field("QueueResult", 32) ?? "unknown";
            var seconds = int.TryParse(form["QueueTime"], NumberStyles.None, CultureInfo.InvariantCulture, out var q) ? q : (int?)null;
            var voicemail = result is "leave" or "queue-full" or "system-error" or "error";
            await UpdateAsync($"queue:{result}", s =>
            {
                s.QueueResult = result;
                s.QueueSeconds = seconds;
                s.Bridged |= result == "bridged";
                s.VoicemailOffered |= voicemail;
                return true;
            }, callerFacing: true, ct);

            return Twiml.Result(voicemail
                ? Twiml.Voice(t => t.Say(_v.Voicemail, _v.SayVoice, _v.Language).Record(Url("record-done"), _v.MaxRecordingSeconds, Url("recording")).Say(_v.Thanks, _v.SayVoice, _v.Language).Hangup())
                : Twiml.Voice(t => t.Hangup()));
        }

        public IResult RecordDone()
        {
            // RecordingUrl here may not be fetchable yet: the recording status callback downloads it (docs/protocols/twilio.md#recording).
            return Twiml.Result(Twiml.Voice(t => t.Say(_v.Thanks, _v.SayVoice, _v.Language).Hangup()));
        }

        public async Task<IResult> RecordingAsync(CancellationToken ct)
        {
            var sid = Field("RecordingSid", 64);
            var url = Field("RecordingUrl", 2048);
            if (string.IsNullOrEmpty(sid) || string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                return Problems.BadRequest("RecordingSid and an absolute RecordingUrl are required.");
            }

            // A repeated status callback for a recording already copied: nothing to download again.
            if (await _services.GetRequiredService<CallStore>().HasAppliedAsync(req.Instance, callSid, $"recording:{sid}", ct))
            {
                return Results.NoContent();
            }

            Evidence evidence;
            if (form["RecordingStatus"] is "completed")
            {
                var policy = _services.GetRequiredService<TwilioVoiceDescriptor>().MediaPolicy(req.Options);
                var name = $"{req.Instance}/calls/{TableKeys.Escape(callSid)}/{TableKeys.Escape(sid)}.mp3";
                evidence = await _services.GetRequiredService<Hub.Functions.Media.EvidenceStore>().StoreAttachmentAsync(req.Instance, name, new MediaReference(url + ".mp3", "audio/mpeg"), policy, ct);
                evidence = evidence with { Kind = "audio" };
            }
            else
            {
                evidence = new Evidence { Kind = "audio", SourceUrl = url, Error = $"Twilio reported the recording {Field("RecordingStatus", 32) ?? "unknown"}" };
            }

            var (_, _, changed) = await UpdateAsync($"recording:{sid}", s => { s.Recordings.Add(evidence); return true; }, callerFacing: false, ct);
            if (changed && evidence.Blob is not null && _v.DeleteRecordingAfterCopy)
            {
                await DeleteAtTwilioAsync(sid, ct);
            }

            return Results.NoContent();
        }

        public async Task<IResult> StatusAsync(CancellationToken ct)
        {
            var status = Field("CallStatus", 32) ?? "unknown";
            var duration = int.TryParse(form["CallDuration"], NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : (int?)null;
            await UpdateAsync($"status:{status}", s =>
            {
                if (s.Ended && !CallState.FinalStatuses.Contains(status))
                {
                    return false; // a late "ringing" never reopens an ended call
                }

                s.CallStatus = status;
                s.DurationSeconds = duration ?? s.DurationSeconds;
                return true;
            }, callerFacing: false, ct);
            return Results.NoContent();
        }

        /// <summary>The DTMF menu; when the caller presses nothing, Twilio falls through to the redirect (no input).</summary>
        private VoiceTwiml MenuTwiml(VoiceTwiml t, int attempt) =>
            t.Gather(Url("menu", $"attempt={attempt}"), 1, 6, g => g.Say(_v.Menu, _v.SayVoice, _v.Language))
             .Redirect(Url("menu", $"attempt={attempt}"));

        /// <summary>
        /// Merges a callback into the call and emits the new revision. For what the caller hears, a storage
        /// failure must not cut them off from a counsellor: the TwiML is still answered, and the next callback's
        /// snapshot (the call's whole state) repairs the report. Status and recording callbacks get 503 instead.
        /// </summary>
        private async Task<(CallState? State, string? Caller, bool Changed)> UpdateAsync(string eventKey, Func<CallState, bool> change, bool callerFacing, CancellationToken ct)
        {
            try
            {
                var (state, caller, changed) = await _services.GetRequiredService<CallStore>().ApplyAsync(req.Instance, callSid, Msisdn.Normalize(Field("From", 64)), eventKey, change, ct);
                if (changed)
                {
                    await EmitAsync(state, caller, ct);
                }

                return (state, caller, changed);
            }
            catch (Exception ex) when (callerFacing && (ex is StorageUnavailableException || HubStorage.IsUnavailable(ex)) && !ct.IsCancellationRequested)
            {
                LogStorageDownDuringCall(_services.GetRequiredService<ILoggerFactory>().CreateLogger("Hub.Channels.twilio-voice"), req.Instance, ex.GetType().Name);
                return (null, null, false);
            }
        }

        private Task<IntakeResult> EmitAsync(CallState s, string? caller, CancellationToken ct)
        {
            var reasons = new List<string>();
            var urgency = Urgencies.Normal;
            if (s.Choice == "danger")
            {
                urgency = Urgencies.Immediate;
                reasons.Add("call:danger-key");
            }

            if (s.Missed)
            {
                urgency = Triage(urgency, Urgencies.High);
                reasons.Add("call:missed");
            }

            if (s.AfterHours)
            {
                reasons.Add("call:after-hours");
            }

            if (s.Recordings.Count > 0)
            {
                reasons.Add("call:voice-message");
            }

            return _services.GetRequiredService<IntakeService>().AcceptAsync(
                new IntakeSubmission
                {
                    Channel = ReportChannels.Voice111,
                    ChannelInstance = req.Instance,
                    Provider = "twilio",
                    ProviderAccount = s.To,
                    ProviderMessageId = callSid,
                    SenderId = caller is { Length: > 0 } ? caller : null,
                    Text = Describe(s),
                    RawBody = req.Body,
                    RawContentType = req.Http.Request.ContentType,
                    StoredEvidence = s.Recordings,
                    ProvinceCode = req.Options.Province,
                    Urgency = urgency,
                    Reasons = reasons,
                    Revision = s.Revision,
                    ReportId = s.ReportId,
                },
                ct);
        }

        private static string Triage(string a, string b) => Hub.Core.Taxonomy.Triage.Max(a, b);

        /// <summary>A one-line Vietnamese account of the call for the operator's list (no caller data).</summary>
        private static string Describe(CallState s)
        {
            var parts = new List<string> { "Cuộc gọi 111" };
            if (s.AfterHours)
            {
                parts.Add("ngoài giờ làm việc");
            }

            parts.Add(s.Choice switch
            {
                "danger" => "người gọi bấm phím nguy hiểm",
                "report" => "người gọi chọn để lại lời nhắn",
                "counsellor" => "người gọi chọn gặp tư vấn viên",
                _ => "chưa chọn",
            });
            if (s.Bridged)
            {
                parts.Add("đã nối máy với tư vấn viên");
            }
            else if (s.QueueResult == "hangup")
            {
                parts.Add(s.QueueSeconds is { } q ? $"gác máy khi đang chờ ({q} giây)" : "gác máy khi đang chờ");
            }

            if (s.Recordings.Count > 0)
            {
                parts.Add($"{s.Recordings.Count} lời nhắn ghi âm");
            }

            if (s.Missed)
            {
                parts.Add("CUỘC GỌI NHỠ: cần gọi lại");
            }

            if (s.DurationSeconds is { } d)
            {
                parts.Add($"thời lượng {d} giây");
            }

            return string.Join("; ", parts) + ".";
        }

        private async Task DeleteAtTwilioAsync(string recordingSid, CancellationToken ct)
        {
            var o = req.Options;
            using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri($"{o.Voice.TwilioApiBaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(o.AccountSid ?? string.Empty)}/Recordings/{Uri.EscapeDataString(recordingSid)}.json"));
            request.Headers.Authorization = TwilioWebhook.BasicAuth(o);
            try
            {
                using var response = await _services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName).SendAsync(request, ct);
                LogDeleted(_services.GetRequiredService<ILoggerFactory>().CreateLogger("Hub.Channels.twilio-voice"), req.Instance, (int)response.StatusCode);
            }
            catch (HttpRequestException ex)
            {
                // Our copy is safe; the recording simply stays at Twilio too.
                LogDeleted(_services.GetRequiredService<ILoggerFactory>().CreateLogger("Hub.Channels.twilio-voice"), req.Instance, ex.StatusCode is { } c ? (int)c : 0);
            }
        }
    }

    public const string HttpClientName = "twilio-api";

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage unavailable during a call on {Instance} ({Cause}): the caller is still connected; the next callback re-emits the call's report")]
    private static partial void LogStorageDownDuringCall(ILogger logger, string instance, string cause);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording copy verified on {Instance}; delete at Twilio answered {Status}")]
    private static partial void LogDeleted(ILogger logger, string instance, int status);
}
