using System.Text.RegularExpressions;
using Hub.Core.Privacy;
using Hub.Core.Taxonomy;
using Hub.Core.Text;

namespace Hub.WebForm;

/// <summary>The names the form posts (the page and the parser share them, so they cannot drift).</summary>
public static class Fields
{
    public const string Danger = "danger";
    public const string Who = "who";
    public const string What = "what";
    public const string Details = "details";
    public const string Platform = "platform";
    public const string Links = "links";
    public const string Accounts = "accounts";
    public const string Age = "age";
    public const string Province = "province";
    public const string ContactMode = "contact-mode";
    public const string ContactKind = "contact-kind";
    public const string Contact = "contact";
    public const string Consent = "consent";
    public const string Screenshots = "screenshots";
    public const string Token = "ft";

    /// <summary>The honeypot: hidden from people (and from assistive technology), filled in by naive bots.</summary>
    public const string Honeypot = "website";

    public const string Code = "code";
    public const string Secret = "secret";
}

/// <summary>
/// What a person typed into the form, exactly as they typed it (so a page re-rendered after an error or an outage
/// shows it back), and the rules that check it. Pure: no I/O, unit-tested.
/// </summary>
public sealed partial record FormInput
{
    public const int MaxDetails = 4000;
    public const int MaxLinks = 10;
    public const int MaxLinkLength = 2048;
    public const int MaxAccounts = 10;
    public const int MaxAccountLength = 200;
    public const int MaxContact = 254;
    public const int MaxProvince = 100;

    /// <summary>What any one text field may hold before it is refused (the details field's own cap is lower).</summary>
    public const int MaxFieldLength = 8000;

    public static FormInput Empty { get; } = new();

    public bool Danger { get; init; }

    public string Who { get; init; } = string.Empty;

    public IReadOnlyList<string> What { get; init; } = [];

    public string Details { get; init; } = string.Empty;

    public string Platform { get; init; } = string.Empty;

    public string Links { get; init; } = string.Empty;

    public string Accounts { get; init; } = string.Empty;

    public string Age { get; init; } = string.Empty;

    public string Province { get; init; } = string.Empty;

    public string ContactMode { get; init; } = "anonymous";

    public string ContactKind { get; init; } = "phone";

    public string Contact { get; init; } = string.Empty;

    public bool Consent { get; init; }

    public bool WantsContact => ContactMode == "contact";

    /// <summary>Reads the posted fields (a missing field is empty; text is NFC with control characters removed).</summary>
    public static FormInput From(Func<string, IReadOnlyList<string>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        string One(string name) => values(name) is { Count: > 0 } v ? VietnameseText.Normalize(v[0]) : string.Empty;
        return new FormInput
        {
            Danger = One(Fields.Danger) is "1" or "on" or "true",
            Who = One(Fields.Who).Trim(),
            What = values(Fields.What).Select(v => v.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Take(WebTexts.What.Count + 1).ToList(),
            Details = One(Fields.Details),
            Platform = One(Fields.Platform).Trim(),
            Links = One(Fields.Links),
            Accounts = One(Fields.Accounts),
            Age = One(Fields.Age).Trim(),
            Province = One(Fields.Province).Trim(),
            ContactMode = One(Fields.ContactMode) is "contact" ? "contact" : "anonymous",
            ContactKind = One(Fields.ContactKind) is { Length: > 0 } kind ? kind.Trim() : "phone",
            Contact = One(Fields.Contact).Trim(),
            Consent = One(Fields.Consent) is "1" or "on" or "true",
        };
    }

    /// <summary>The problems, by field name, in the page's order; empty when the report can be sent.</summary>
    public IReadOnlyDictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!WebTexts.Who.Any(c => c.Value == Who))
        {
            errors[Fields.Who] = "Hãy chọn ai đang viết báo cáo này.";
        }

        if (What.Any(w => !WebTexts.What.Any(c => c.Value == w)))
        {
            errors[Fields.What] = "Một lựa chọn về chuyện đã xảy ra không hợp lệ. Hãy chọn lại.";
        }
        else if (What.Count == 0 && string.IsNullOrWhiteSpace(Details) && string.IsNullOrWhiteSpace(Links))
        {
            errors[Fields.What] = "Hãy chọn ít nhất một điều đã xảy ra, hoặc kể lại bằng lời của em ở ô bên dưới.";
        }

        if (Details.Length > MaxDetails)
        {
            errors[Fields.Details] = $"Phần kể lại dài quá ({Details.Length} ký tự). Hãy rút gọn còn {MaxDetails} ký tự.";
        }

        if (!WebTexts.Platforms.Any(c => c.Value == Platform))
        {
            errors[Fields.Platform] = "Hãy chọn lại nơi xảy ra.";
        }

        var links = LinkLines();
        if (links.Count > MaxLinks)
        {
            errors[Fields.Links] = $"Em có thể gửi tối đa {MaxLinks} đường link.";
        }
        else if (links.Select((l, i) => (l, i)).FirstOrDefault(x => ParseLink(x.l) is null) is { l: not null } bad)
        {
            errors[Fields.Links] = $"Đường link thứ {bad.i + 1} chưa đúng. Hãy dán nguyên đường link, ví dụ https://www.tiktok.com/@ten.";
        }

        var accounts = AccountLines();
        if (accounts.Count > MaxAccounts || accounts.Any(a => a.Length > MaxAccountLength))
        {
            errors[Fields.Accounts] = $"Hãy ghi tối đa {MaxAccounts} tài khoản, mỗi tài khoản một dòng.";
        }

        if (Age.Length > 0 && !WebTexts.Ages.Any(c => c.Value == Age))
        {
            errors[Fields.Age] = "Hãy chọn lại độ tuổi.";
        }

        if (Province.Length > MaxProvince || (Province.Length > 0 && ProvinceCode() is null))
        {
            errors[Fields.Province] = "Chưa tìm thấy tỉnh, thành phố này. Hãy chọn một tên trong danh sách gợi ý, hoặc để trống.";
        }

        if (WantsContact)
        {
            if (!WebTexts.ContactKinds.Any(c => c.Value == ContactKind))
            {
                errors[Fields.ContactKind] = "Hãy chọn cách liên hệ.";
            }
            else if (Contact.Length == 0)
            {
                errors[Fields.Contact] = "Hãy ghi số điện thoại, số Zalo hoặc email để chúng tôi liên hệ lại, hoặc chọn giấu tên.";
            }
            else if (ContactValue() is null)
            {
                errors[Fields.Contact] = ContactKind == "email"
                    ? "Email chưa đúng. Ví dụ: ten@example.com."
                    : "Số điện thoại chưa đúng. Hãy ghi số Việt Nam có 10 chữ số, ví dụ 0912 345 678.";
            }

            if (!Consent)
            {
                errors[Fields.Consent] = "Hãy đánh dấu đồng ý để chúng tôi được dùng thông tin này liên hệ lại, hoặc chọn giấu tên.";
            }
        }

        return errors;
    }

    /// <summary>The link lines, trimmed, blank lines dropped.</summary>
    public IReadOnlyList<string> LinkLines() => Lines(Links);

    public IReadOnlyList<string> AccountLines() => Lines(Accounts);

    /// <summary>The links as absolute http(s) URLs ("tiktok.com/@x" gets https://); null for a line that is not one.</summary>
    public static string? ParseLink(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Length > MaxLinkLength || line.Any(char.IsWhiteSpace))
        {
            return null;
        }

        var candidate = line.Contains("://", StringComparison.Ordinal) ? line : "https://" + line;
        return Uri.TryCreate(candidate, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Contains('.', StringComparison.Ordinal) && uri.Host.Length > 3
            ? uri.AbsoluteUri
            : null;
    }

    public IReadOnlyList<string> Urls() => LinkLines().Select(ParseLink).OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The province code: one of the 34 names or codes, or a pre-2025 name (as the chatbot accepts them).</summary>
    public string? ProvinceCode() =>
        Province.Length == 0 ? null : (Provinces.ByCodeOrNull(Province) ?? Provinces.Find(Province))?.Code;

    /// <summary>The contact to keep (E.164 for a phone or Zalo number, lower-case for an email), or null if it is not one.</summary>
    public string? ContactValue()
    {
        if (Contact.Length is 0 or > MaxContact)
        {
            return null;
        }

        if (ContactKind == "email")
        {
            return EmailPattern().IsMatch(Contact) ? Contact.ToLowerInvariant() : null;
        }

        var e164 = Msisdn.Normalize(Contact);
        return PhonePattern().IsMatch(e164) ? e164 : null;
    }

    private static List<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Take(100).ToList();

    [GeneratedRegex(@"^[^\s@<>""]{1,64}@[^\s@<>""]{1,189}\.[A-Za-z]{2,24}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex EmailPattern();

    // Vietnamese mobiles and landlines in E.164 (+84 and 9 or 10 digits), or another country's number.
    [GeneratedRegex(@"^\+(84[1-9][0-9]{8,9}|[1-79][0-9]{7,14})$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex PhonePattern();
}
