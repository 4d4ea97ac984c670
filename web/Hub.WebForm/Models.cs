namespace Hub.WebForm;

/// <summary>A message at the top of the form: why it came back (an outage, a slow network, an expired page).</summary>
public sealed record Notice(string Title, string Text, bool Error = true);

/// <summary>The hidden fields every form post carries: the antiforgery pair and (on the report form) the signed form token.</summary>
public sealed record FormTokens(string AntiforgeryField, string AntiforgeryToken, string FormToken);

/// <summary>The report form, blank or as the person left it, with what is wrong, field by field.</summary>
public sealed record FormModel(FormInput Input, IReadOnlyDictionary<string, string> Errors, FormTokens Tokens, Notice? Notice = null, int ScreenshotsToReattach = 0)
{
    public string? Error(string field) => Errors.TryGetValue(field, out var e) ? e : null;

    public bool Has(string field) => Errors.ContainsKey(field);
}

/// <summary>What the person gets once the report is durable: the code and the one-time status secret.</summary>
public sealed record ReceiptModel(string ReferenceCode, string StatusSecret, bool Immediate, int Screenshots, string StatusPath);

/// <summary>The status page: the lookup form, and the coarse result of the last lookup (null: none asked yet).</summary>
public sealed record StatusModel(FormTokens Tokens, string Code, string? Result, string? Problem);

/// <summary>A friendly page for a request the hub refused before it could show the form back.</summary>
public sealed record NoticeModel(string Title, string Text, string LinkText, string LinkHref);

/// <summary>The printable poster: the form's address and 111.</summary>
public sealed record PosterModel(string FormUrl);
