using System.Globalization;
using System.Net.Http.Json;
using Hub.Core.Cases;
using Hub.Core.Routing;
using Hub.Core.Signatures;
using Hub.Functions.Cases;
using Hub.Functions.Hosting;
using Hub.Functions.Referrals;
using Hub.Simulators;
using Microsoft.Extensions.Options;

namespace Hub.Cli;

/// <summary>
/// <c>demo referral</c>: the issue's "done when", against the running hub. A child in Đà Nẵng reports sextortion on the
/// web form; the case lands in the Đà Nẵng unit's queue with the police and A05 proposed; the demo counsellor claims it
/// and refers it to both; A05's system (simulated here, on loopback) receives the signed webhook, verifies it with the
/// hub's published keys and acknowledges; the Đà Nẵng police liaison acknowledges, accepts and records the outcome.
/// The people act through the hub's own case service, exactly as the console's forms do.
/// </summary>
internal static class ReferralDemo
{
    public const int AgencySimulatorPort = 7074;

    public static async Task<int> RunAsync(IServiceProvider sp, TextWriter output)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        if (!hub.Cases.Referrals.Webhooks.TryGetValue(Router.A05, out var hook) || hook.Url?.Contains($":{AgencySimulatorPort}/", StringComparison.Ordinal) != true)
        {
            output.WriteLine($"A05's referral webhook must point at the simulated agency (Hub:Cases:Referrals:Webhooks:{Router.A05}:Url = http://127.0.0.1:{AgencySimulatorPort}/referrals; Development has it).");
            return 2;
        }

        await using var agency = await AgencySimulator.StartAsync(AgencySimulatorPort);
        using (var http = new HttpClient { BaseAddress = new Uri(hub.PublicBaseUrl), Timeout = TimeSpan.FromSeconds(30) })
        {
            agency.Trust((await http.GetFromJsonAsync("/api/platform/v1/signing-keys", JwkJsonContext.Default.JwkSet))!);
        }

        var people = sp.GetRequiredService<People>();
        var cases = sp.GetRequiredService<CaseService>();
        var referrals = sp.GetRequiredService<Referrals>();
        var counsellor = await people.ActorAsync("demo.counsellor", "demo referral", CancellationToken.None);
        var police = await people.ActorAsync("demo.police", "demo referral", CancellationToken.None);
        var a05 = await people.ActorAsync("demo.a05", "agency system (simulated)", CancellationToken.None);
        agency.OnReceived = async received =>
        {
            // The agency's system acknowledges what it received (with a client-credentials token on the API in production).
            await referrals.MoveAsync(a05, received.ReferralId, ReferralState.Acknowledged, null, null, null, CancellationToken.None);
        };

        var sent = await WebDemo.SendAsync(sp, output,
        [
            ("who", "self"), ("what", "OCSEA.SEXTORTION"),
            ("details", "Có người quen trên mạng dọa tung ảnh nhạy cảm của em nếu em không gửi thêm. Em ở Đà Nẵng."),
            ("platform", "facebook"), ("links", "https://www.facebook.com/ke-la-doa-em"), ("age", "14-15"), ("province", "Đà Nẵng"),
        ]);
        if (sent is null)
        {
            return 1;
        }

        sent.Http.Dispose();
        var store = sp.GetRequiredService<ICaseStore>();
        CaseRecord? found = null;
        for (var i = 0; i < 120 && (found = await store.FindAsync(sent.Instance, sent.MessageId, CancellationToken.None)) is null; i++)
        {
            await Task.Delay(250);
        }

        if (found is null)
        {
            output.WriteLine("The report was accepted but no case appeared within 30 s: is the hub's processor running?");
            return 1;
        }

        var detail = await cases.GetDetailAsync(counsellor, found.Id, CancellationToken.None);
        output.WriteLine($"Case {found.ReferenceCode} is in the queue of {found.TeamId} (routing rule {detail.Routing.Rule}); proposed referrals: {string.Join(", ", detail.Routing.ProposedReferrals)}");
        var version = await cases.ClaimAsync(counsellor, found.Id, CancellationToken.None);
        output.WriteLine("demo.counsellor claimed it.");

        var toPolice = await referrals.SendAsync(counsellor, found.Id,
            new ReferralRequest("police-48", "Trẻ 14–15 tuổi bị tống tiền bằng ảnh nhạy cảm; đề nghị xác minh và ngăn chặn.", SharingLevel.Summary, true, false, null), CancellationToken.None);
        var toA05 = await referrals.SendAsync(counsellor, found.Id,
            new ReferralRequest(Router.A05, "Tống tiền tình dục trẻ em qua Facebook; đề nghị điều tra tài khoản và phối hợp gỡ nội dung.", SharingLevel.WithEvidence, true, false, null), CancellationToken.None);
        output.WriteLine($"Referred to police-48 (summary) as {toPolice.Id} and to {Router.A05} (with evidence) as {toA05.Id}; case version {version} → {toA05.CaseVersion}.");

        ReceivedReferral? webhook = null;
        for (var i = 0; i < 120 && (webhook = agency.Received.FirstOrDefault(r => r.ReferralId == toA05.Id)) is null; i++)
        {
            await Task.Delay(250);
        }

        if (webhook is null)
        {
            output.WriteLine($"The simulated A05 system received no webhook within 30 s ({agency.Calls} call(s), {agency.Refused} refused): is the hub's referrals worker running?");
            return 1;
        }

        output.WriteLine($"A05's system received the webhook, signed with hub key {webhook.KeyId} (verified against the published keys; sharing {webhook.Body.GetProperty("sharing").GetString()}, {webhook.Body.GetProperty("case").GetProperty("evidence").GetArrayLength()} evidence item(s)) and acknowledged it.");

        await referrals.MoveAsync(police, toPolice.Id, ReferralState.Acknowledged, null, null, null, CancellationToken.None);
        await referrals.MoveAsync(police, toPolice.Id, ReferralState.Accepted, null, null, null, CancellationToken.None);
        await referrals.MoveAsync(police, toPolice.Id, ReferralState.Done, "Đã liên hệ gia đình; trẻ an toàn, tài khoản bị khóa.", "child-safe", null, CancellationToken.None);
        output.WriteLine("demo.police (Công an Đà Nẵng) acknowledged, accepted and recorded the outcome: child-safe.");

        for (var i = 0; i < 120; i++)
        {
            // The hub records the delivery once the agency's 200 is back (after its acknowledgement).
            detail = await cases.GetDetailAsync(counsellor, found.Id, CancellationToken.None);
            if (detail.Referrals.Single(f => f.Id == toA05.Id).Webhook == "delivered")
            {
                break;
            }

            await Task.Delay(250);
        }

        output.WriteLine($"The case is {CaseLifecycle.Name(detail.Summary.Status)}, still owned by demo.counsellor; its referrals:");
        foreach (var f in detail.Referrals)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {f.ToTeam}: {f.State}{(f.Outcome is null ? string.Empty : " (" + f.Outcome + ")")}, acknowledgement due {f.AcknowledgeDue:u}, webhook {f.Webhook}"));
        }

        output.WriteLine("Its timeline:");
        foreach (var h in detail.History)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {h.At:u} {h.Action}{(h.Reason is null ? string.Empty : ": " + h.Reason)}"));
        }

        output.WriteLine($"Open {hub.PublicBaseUrl.TrimEnd('/')}/console/cases/{found.Id} (demo.counsellor) to see it, /console/referrals as demo.police or demo.a05, and /console/cases/{found.Id}/mau-01 for Form 01.");
        var a05Row = detail.Referrals.Single(f => f.Id == toA05.Id);
        var policeRow = detail.Referrals.Single(f => f.Id == toPolice.Id);
        return a05Row.State == "acknowledged" && policeRow.State == "done" ? 0 : 1;
    }
}
