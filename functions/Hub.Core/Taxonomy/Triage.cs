using Hub.Core.Envelope;

namespace Hub.Core.Taxonomy;

/// <summary>The outcome of keyword triage: suggested categories and urgency with the reasons that set them.</summary>
public sealed record TriageResult(IReadOnlyList<string> Categories, string Urgency, IReadOnlyList<string> Reasons);

/// <summary>
/// First-pass triage of free text (SMS, chat) so that a child in danger reaches the top of the operators'
/// queue before anyone has read the message. Rules match accent-folded whole phrases, so unaccented and
/// NFD input behave the same. Categories are suggestions an operator confirms; urgency only ever rises.
/// </summary>
public static class Triage
{
    /// <summary>A keyword rule: its category's <see cref="Categories.DefaultUrgency"/>, or <c>immediate</c> for a danger signal with no category.</summary>
    private sealed record Rule(string Name, string[] Phrases, string? Category)
    {
        public string Urgency { get; } = Category is null ? Urgencies.Immediate : Categories.DefaultUrgency(Category);

        /// <summary>Folded once, padded with spaces for whole-phrase matching.</summary>
        public string[] Keys { get; } = Phrases.Select(p => " " + Provinces.Key(p) + " ").ToArray();
    }

    private static readonly Rule[] Rules =
    [
        new("self-harm", ["tu tu", "muon chet", "tu sat", "rach tay", "khong muon song", "tu hai"], "WELLBEING.SELF_HARM"),
        new("danger-now", ["cuu toi", "cuu em", "cuu con", "cuu voi", "nguy hiem", "dang bi danh", "bi bat coc", "bat coc", "bi nhot"], null),
        new("sextortion", ["doa tung anh", "doa phat tan", "tong tien", "doa dang anh", "doa gui anh"], "OCSEA.SEXTORTION"),
        new("csam", ["anh nong", "clip nong", "video nong", "anh khoa than", "anh nude", "clip sex", "anh sex"], "OCSEA.CSAM"),
        new("grooming", ["du do", "hen gap", "ru gap mat", "doi gui anh", "bat gui anh"], "OCSEA.GROOMING"),
        new("sexual-abuse", ["xam hai tinh duc", "hiep dam", "dam o", "so mo", "cuong hiep"], "VIOL.SEXUAL"),
        new("trafficking", ["mua ban tre em", "bi ban", "buon nguoi", "mua ban nguoi"], "EXPL.TRAFFICKING"),
        new("missing", ["mat tich", "bo nha", "that lac", "khong ve nha"], "MISSING"),
        new("physical", ["bi danh", "danh dap", "bao luc", "bi dam"], "VIOL.PHYSICAL"),
        new("bullying", ["bat nat", "che gieu", "noi xau", "lap nhom anti"], "ONLINE.BULLYING"),
        new("fraud", ["lua dao", "chiem doat", "lua tien"], "ONLINE.FRAUD"),
        new("privacy", ["dang thong tin ca nhan", "lo thong tin", "phat tan thong tin"], "ONLINE.PRIVACY"),
    ];

    public static TriageResult Assess(string? text)
    {
        var categories = new List<string>();
        var reasons = new List<string>();
        var urgency = Urgencies.Normal;
        if (string.IsNullOrWhiteSpace(text))
        {
            return new TriageResult(categories, urgency, reasons);
        }

        var folded = " " + Provinces.Key(text) + " ";
        foreach (var rule in Rules)
        {
            if (!Array.Exists(rule.Keys, k => folded.Contains(k, StringComparison.Ordinal)))
            {
                continue;
            }

            reasons.Add($"keyword:{rule.Name}");
            if (rule.Category is not null && !categories.Contains(rule.Category))
            {
                categories.Add(rule.Category);
            }

            urgency = Max(urgency, rule.Urgency);
        }

        return new TriageResult(categories, urgency, reasons);
    }

    public static string Max(string a, string b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(string urgency) => urgency switch
    {
        Urgencies.Immediate => 3,
        Urgencies.High => 2,
        Urgencies.Normal => 1,
        _ => 0,
    };
}
