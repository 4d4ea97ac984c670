using Hub.Core.Envelope;

namespace Hub.Core.Taxonomy;

/// <summary>Hub taxonomy codes (docs/taxonomy.md#categories). Stable: stored in every envelope and case.</summary>
public static class Categories
{
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["OCSEA.CSAM"] = "Hình ảnh, video xâm hại tình dục trẻ em",
        ["OCSEA.GROOMING"] = "Dụ dỗ, làm quen để xâm hại (grooming)",
        ["OCSEA.SEXTORTION"] = "Đe dọa tung ảnh nhạy cảm",
        ["OCSEA.SELF_GENERATED"] = "Ảnh của chính trẻ bị chia sẻ, phát tán",
        ["OCSEA.LIVESTREAM"] = "Xâm hại phát trực tiếp",
        ["OCSEA.OBSCENE_TO_CHILD"] = "Gửi nội dung đồi trụy cho trẻ",
        ["EXPL.TRAFFICKING"] = "Mua bán trẻ em",
        ["EXPL.SEXUAL_OFFLINE"] = "Bóc lột tình dục",
        ["EXPL.LABOUR"] = "Bóc lột sức lao động",
        ["VIOL.SEXUAL"] = "Xâm hại tình dục",
        ["VIOL.PHYSICAL"] = "Bạo lực thể chất",
        ["VIOL.EMOTIONAL"] = "Bạo lực tinh thần",
        ["ONLINE.BULLYING"] = "Bắt nạt trên mạng",
        ["ONLINE.PRIVACY"] = "Đăng tải bí mật đời tư của trẻ",
        ["ONLINE.HARMFUL_CONTENT"] = "Nội dung độc hại",
        ["ONLINE.FRAUD"] = "Lừa đảo trẻ em",
        ["NEGLECT.ABANDONED"] = "Bỏ rơi",
        ["NEGLECT.NEGLECT"] = "Bỏ mặc",
        ["MISSING"] = "Trẻ mất tích, bỏ nhà",
        ["WELLBEING.SELF_HARM"] = "Tự hại, ý định tự tử",
        ["OTHER"] = "Khác",
        ["INFO"] = "Hỏi thông tin",
        ["NON_CASE"] = "Không phải vụ việc (nhầm, thử)",
    };

    /// <summary>
    /// Each hub code beside Child Helpline International's category (as Aselo configures it) and NCMEC's CyberTipline
    /// incident type, for reports to either (the project's own mapping, docs/taxonomy.md; "–" where none fits).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (string Chi, string Ncmec)> Schemes = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["OCSEA.CSAM"] = ("Violence › OSA", "Child Pornography"),
        ["OCSEA.GROOMING"] = ("Violence › OSE", "Online Enticement"),
        ["OCSEA.SEXTORTION"] = ("Violence › OSE", "Online Enticement + sextortion"),
        ["OCSEA.SELF_GENERATED"] = ("Violence › OSA", "Child Pornography + possibleSelfProduction"),
        ["OCSEA.LIVESTREAM"] = ("Violence › OSA", "Child Pornography + liveStreaming"),
        ["OCSEA.OBSCENE_TO_CHILD"] = ("Violence › OSA", "Unsolicited Obscene Material Sent to a Child"),
        ["EXPL.TRAFFICKING"] = ("Violence › Unspecified/Other", "Child Sex Trafficking"),
        ["EXPL.SEXUAL_OFFLINE"] = ("Violence › commercial sexual exploitation", "Child Sex Trafficking"),
        ["EXPL.LABOUR"] = ("Violence › child labour", "–"),
        ["VIOL.SEXUAL"] = ("Violence › sexual violence", "Child Sexual Molestation"),
        ["VIOL.PHYSICAL"] = ("Violence › physical", "–"),
        ["VIOL.EMOTIONAL"] = ("Violence › mental/emotional", "–"),
        ["ONLINE.BULLYING"] = ("Violence › bullying", "–"),
        ["ONLINE.PRIVACY"] = ("–", "–"),
        ["ONLINE.HARMFUL_CONTENT"] = ("–", "Misleading Words or Digital Images"),
        ["ONLINE.FRAUD"] = ("–", "–"),
        ["NEGLECT.ABANDONED"] = ("Violence › neglect", "–"),
        ["NEGLECT.NEGLECT"] = ("Violence › neglect", "–"),
        ["MISSING"] = ("Missing children", "–"),
        ["WELLBEING.SELF_HARM"] = ("Mental health", "–"),
        ["OTHER"] = ("Unspecified", "–"),
        ["INFO"] = ("Non-counselling", "–"),
        ["NON_CASE"] = ("Non-counselling", "–"),
    };

    public static bool IsValid(string code) => All.ContainsKey(code);

    /// <summary>
    /// How urgent a report of this category is by itself, wherever the category came from (a keyword in an SMS, a
    /// child's choice in the chatbot): self-harm is <c>immediate</c>; sexual exploitation, trafficking and missing
    /// children are <c>high</c>; the rest <c>normal</c>. A danger signal in the text can still raise it. Platform
    /// reports rank by CyberTipline's own priorities instead (<see cref="Platform.PlatformMapping"/>).
    /// </summary>
    public static string DefaultUrgency(string code) => code switch
    {
        "WELLBEING.SELF_HARM" => Urgencies.Immediate,
        "OCSEA.SEXTORTION" or "OCSEA.GROOMING" or "OCSEA.CSAM" or "OCSEA.SELF_GENERATED" or "VIOL.SEXUAL" or "EXPL.TRAFFICKING" or "MISSING" => Urgencies.High,
        _ => Urgencies.Normal,
    };
}
