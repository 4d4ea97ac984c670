using Hub.Core.Text;

namespace Hub.Core.Taxonomy;

/// <summary>A provincial unit since 1 July 2025 (Resolution 202/2025/QH15; codes of Decision 19/2025/QĐ-TTg).</summary>
public sealed record Province(string Code, string Name, IReadOnlyList<string> FormerNames, IReadOnlyList<string> Aliases);

/// <summary>
/// The 34 provincial units, with the pre-merger province names that now map to them (docs/taxonomy.md#provinces), so
/// "Quảng Nam" or "Bình Dương" in a child's message finds today's Đà Nẵng or Hồ Chí Minh.
/// </summary>
public static class Provinces
{
    public static readonly IReadOnlyList<Province> All =
    [
        P("01", "Hà Nội", [], ["HN", "Ha Noi", "Hanoi"]),
        P("04", "Cao Bằng", []),
        P("08", "Tuyên Quang", ["Hà Giang"]),
        P("11", "Điện Biên", []),
        P("12", "Lai Châu", []),
        P("14", "Sơn La", []),
        P("15", "Lào Cai", ["Yên Bái"]),
        P("19", "Thái Nguyên", ["Bắc Kạn"]),
        P("20", "Lạng Sơn", []),
        P("22", "Quảng Ninh", []),
        P("24", "Bắc Ninh", ["Bắc Giang"]),
        P("25", "Phú Thọ", ["Vĩnh Phúc", "Hòa Bình"]),
        P("31", "Hải Phòng", ["Hải Dương"]),
        P("33", "Hưng Yên", ["Thái Bình"]),
        P("37", "Ninh Bình", ["Hà Nam", "Nam Định"]),
        P("38", "Thanh Hóa", []),
        P("40", "Nghệ An", []),
        P("42", "Hà Tĩnh", []),
        P("44", "Quảng Trị", ["Quảng Bình"]),
        P("46", "Huế", ["Thừa Thiên Huế"]),
        P("48", "Đà Nẵng", ["Quảng Nam"]),
        P("51", "Quảng Ngãi", ["Kon Tum"]),
        P("52", "Gia Lai", ["Bình Định"]),
        P("56", "Khánh Hòa", ["Ninh Thuận"]),
        P("66", "Đắk Lắk", ["Phú Yên"]),
        P("68", "Lâm Đồng", ["Đắk Nông", "Bình Thuận"]),
        P("75", "Đồng Nai", ["Bình Phước"]),
        P("79", "Hồ Chí Minh", ["Bình Dương", "Bà Rịa–Vũng Tàu", "Bà Rịa Vũng Tàu", "Vũng Tàu"], ["TP HCM", "TPHCM", "HCM", "Sài Gòn", "Saigon"]),
        P("80", "Tây Ninh", ["Long An"]),
        P("82", "Đồng Tháp", ["Tiền Giang"]),
        P("86", "Vĩnh Long", ["Bến Tre", "Trà Vinh"]),
        P("91", "An Giang", ["Kiên Giang"]),
        P("92", "Cần Thơ", ["Sóc Trăng", "Hậu Giang"]),
        P("96", "Cà Mau", ["Bạc Liêu"]),
    ];

    private static readonly Dictionary<string, Province> ByCode = All.ToDictionary(p => p.Code, StringComparer.Ordinal);

    // Longest names first, so "Thừa Thiên Huế" wins over "Huế" and "Bà Rịa Vũng Tàu" over "Vũng Tàu".
    private static readonly (string Folded, Province Province)[] Names = All
        .SelectMany(p => new[] { p.Name }.Concat(p.FormerNames).Concat(p.Aliases).Select(n => (Folded: " " + Key(n) + " ", Province: p)))
        .OrderByDescending(x => x.Folded.Length)
        .ToArray();

    public static Province? ByCodeOrNull(string? code) => code is not null && ByCode.TryGetValue(code, out var p) ? p : null;

    /// <summary>The first province named in free text, with or without diacritics, in NFC or NFD.</summary>
    public static Province? Find(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var folded = " " + Key(text) + " ";
        foreach (var (name, province) in Names)
        {
            if (folded.Contains(name, StringComparison.Ordinal))
            {
                return province;
            }
        }

        return null;
    }

    /// <summary>Folded, punctuation collapsed to single spaces: "Bà Rịa–Vũng Tàu" → "ba ria vung tau".</summary>
    public static string Key(string text)
    {
        var folded = VietnameseText.Fold(text);
        var chars = folded.Select(c => char.IsLetterOrDigit(c) ? c : ' ').ToArray();
        return string.Join(' ', new string(chars).Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    private static Province P(string code, string name, string[] former, string[]? aliases = null) =>
        new(code, name, former, aliases ?? []);
}
