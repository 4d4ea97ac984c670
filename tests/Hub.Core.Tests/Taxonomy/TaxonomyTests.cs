using Hub.Core.Envelope;
using Hub.Core.Taxonomy;

namespace Hub.Core.Tests.Taxonomy;

public class TaxonomyTests
{
    [Fact]
    public void Provinces_Are34WithUniqueCodes()
    {
        Provinces.All.Count.ShouldBe(34);
        Provinces.All.Select(p => p.Code).Distinct().Count().ShouldBe(34);
    }

    [Theory]
    [InlineData("em o Quảng Nam", "48")] // pre-2025 name -> Đà Nẵng
    [InlineData("em ở quang nam", "48")]
    [InlineData("nha em o Binh Duong", "79")]
    [InlineData("Thừa Thiên Huế", "46")]
    [InlineData("Hue", "46")]
    [InlineData("Hà Nam", "37")] // not Hà Nội, not Quảng Nam
    [InlineData("tp hcm", "79")]
    [InlineData("Ba Ria - Vung Tau", "79")]
    [InlineData("Đắk Lắk", "66")]
    [InlineData("Ha\u0300 No\u0323\u0302i", "01")] // NFD
    public void Find_MatchesNamesOldAndNew(string text, string code) => Provinces.Find(text)!.Code.ShouldBe(code);

    [Theory]
    [InlineData("hôm nay trời đẹp")]
    [InlineData("")]
    [InlineData("namdinh")] // no word boundary: not a match
    public void Find_NoProvince_ReturnsNull(string text) => Provinces.Find(text).ShouldBeNull();

    [Theory]
    [InlineData("Em muốn tự tử", Urgencies.Immediate, "WELLBEING.SELF_HARM")]
    [InlineData("em muon tu tu", Urgencies.Immediate, "WELLBEING.SELF_HARM")]
    [InlineData("Có người dọa tung ảnh nóng của em", Urgencies.High, "OCSEA.SEXTORTION")]
    [InlineData("ban em bi danh o truong", Urgencies.Normal, "VIOL.PHYSICAL")]
    public void Triage_FlagsUrgencyAndCategory(string text, string urgency, string category)
    {
        var r = Triage.Assess(text);
        r.Urgency.ShouldBe(urgency);
        r.Categories.ShouldContain(category);
        r.Reasons.ShouldNotBeEmpty();
        r.Categories.ShouldAllBe(c => Categories.IsValid(c));
    }

    [Fact]
    public void Triage_PlainText_IsNormalWithNoReasons()
    {
        var r = Triage.Assess("Xin chào, cho em hỏi");
        r.Urgency.ShouldBe(Urgencies.Normal);
        r.Reasons.ShouldBeEmpty();
    }

    [Fact]
    public void Triage_Danger_RaisesUrgencyOverCategory()
    {
        var r = Triage.Assess("cứu em, có người dọa tung ảnh");
        r.Urgency.ShouldBe(Urgencies.Immediate);
        r.Categories.ShouldContain("OCSEA.SEXTORTION");
    }
}
