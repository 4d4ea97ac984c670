using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Core.Privacy;
using Hub.Core.Taxonomy;
using Hub.WebForm;

namespace Hub.Functions.Channels.Web;

/// <summary>How a checked form becomes the intake's submission: the same envelope fields every channel fills.</summary>
public static class WebReport
{
    public const string Provider = "hub-web";
    public const string EmailKind = "email";

    public static IntakeSubmission Submission(FormInput input, IReadOnlyList<CleanScreenshot> screenshots, FormToken token, string instance, ChannelOptions channel)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(screenshots);
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(channel);
        var province = input.ProvinceCode();
        var contact = input.WantsContact && input.Consent ? input.ContactValue() : null;
        var (role, victim) = input.Who switch
        {
            WebTexts.Self => (ReporterRoles.Child, "self"),
            WebTexts.OtherChild => (ReporterRoles.Child, "friend"),
            WebTexts.Parent => (ReporterRoles.Parent, "other"),
            WebTexts.Teacher => (ReporterRoles.Teacher, "other"),
            _ => (ReporterRoles.Unknown, "other"),
        };
        var age = input.Age.Length > 0 ? input.Age : null;
        return new IntakeSubmission
        {
            Channel = "web",
            ChannelInstance = instance,
            Provider = Provider,
            ProviderMessageId = token.MessageId,
            SenderId = contact,
            SenderKind = input.ContactKind == "email" ? EmailKind : Pseudonymizer.PhoneKind,
            Text = Describe(input),
            RawBody = Raw(input, screenshots, token),
            RawContentType = "application/json; charset=utf-8",
            ProvinceCode = province ?? channel.Province,
            ProvinceBasis = province is not null ? "reporter" : "channel-instance",
            Categories = input.What,
            Urgency = input.Danger ? Urgencies.Immediate : null,
            Reasons = input.Danger ? ["web:in-danger"] : [],
            Victim = victim,
            ReporterRole = role,
            AgeBand = input.Who == WebTexts.Self ? age : role is ReporterRoles.Parent or ReporterRoles.Teacher ? "adult" : null,
            VictimAgeBand = age,
            Urls = input.Urls(),
            ReportedAccounts = input.AccountLines().Take(FormInput.MaxAccounts).ToList(),
            Uploads = screenshots.Select(s => new UploadedFile(s.ContentType, s.Bytes)).ToList(),
        };
    }

    /// <summary>What the counsellor reads: the person's own words, then the form's choices that have no envelope field.</summary>
    public static string Describe(FormInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var lines = new List<string>();
        if (input.Details.Trim() is { Length: > 0 } details)
        {
            lines.Add(details);
            lines.Add(string.Empty);
        }

        lines.Add("— Biểu mẫu web —");
        if (input.Platform.Length > 0)
        {
            lines.Add("Nơi xảy ra: " + WebTexts.LabelOf(WebTexts.Platforms, input.Platform));
        }

        lines.Add("Người viết: " + WebTexts.LabelOf(WebTexts.Who, input.Who));
        if (input.WantsContact && input.Consent)
        {
            lines.Add("Muốn được liên hệ lại qua: " + WebTexts.LabelOf(WebTexts.ContactKinds, input.ContactKind));
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// The request as evidence: the fields exactly as received (not the multipart bytes, which hold the unclean
    /// images), and for each screenshot the SHA-256 of the file as uploaded and of the copy stored.
    /// </summary>
    public static byte[] Raw(FormInput input, IReadOnlyList<CleanScreenshot> screenshots, FormToken token)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(screenshots);
        ArgumentNullException.ThrowIfNull(token);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All) }))
        {
            w.WriteStartObject();
            w.WriteString("form", "hub.web-form/v1");
            w.WriteString("servedAt", token.IssuedAt);
            w.WriteStartObject("fields");
            w.WriteBoolean(Fields.Danger, input.Danger);
            w.WriteString(Fields.Who, input.Who);
            w.WriteStartArray(Fields.What);
            foreach (var what in input.What)
            {
                w.WriteStringValue(what);
            }

            w.WriteEndArray();
            w.WriteString(Fields.Details, input.Details);
            w.WriteString(Fields.Platform, input.Platform);
            w.WriteString(Fields.Links, input.Links);
            w.WriteString(Fields.Accounts, input.Accounts);
            w.WriteString(Fields.Age, input.Age);
            w.WriteString(Fields.Province, input.Province);
            w.WriteString(Fields.ContactMode, input.ContactMode);
            if (input.WantsContact && input.Consent)
            {
                w.WriteString(Fields.ContactKind, input.ContactKind);
                w.WriteString(Fields.Contact, input.Contact);
                w.WriteBoolean(Fields.Consent, input.Consent);
            }

            w.WriteEndObject();
            w.WriteStartArray(Fields.Screenshots);
            foreach (var s in screenshots)
            {
                w.WriteStartObject();
                w.WriteString("originalSha256", s.OriginalSha256);
                w.WriteNumber("originalSize", s.OriginalSize);
                w.WriteString("storedSha256", Media.EvidenceStore.Sha256Hex(s.Bytes));
                w.WriteString("contentType", s.ContentType);
                w.WriteNumber("width", s.Width);
                w.WriteNumber("height", s.Height);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
