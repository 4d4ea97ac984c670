using System.Text.Json;
using Hub.Core.Envelope;
using Hub.Core.Statistics;
using Hub.Functions.Statistics;
using Hub.Functions.Tests.Cases;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Functions.Tests.Statistics;

/// <summary>
/// Volumes from the case store, exact (docs/statistics.md): seeded cases with known times, channels, provinces,
/// categories and reporters, counted per period in Vietnam's time — a report at 17:30 UTC on 31 January is a February
/// case, a revision and a follow-up count once with their case. Each test seeds its own year, so tests sharing the
/// database do not see each other's cases.
/// </summary>
public sealed class CaseStatisticsTests(CaseStoreDatabase db) : IClassFixture<CaseStoreDatabase>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero));

    private CaseStatistics Stats => new(db.Cases, _time);

    private async Task<ReportEnvelope> SeedAsync(DateTimeOffset receivedUtc, string channel = ReportChannels.Sms, string? province = "01", string[]? categories = null, string role = ReporterRoles.Child, string ageBand = "13-15", string? mid = null, int? revision = null)
    {
        var e = TestEnvelopes.For(mid ?? Guid.NewGuid().ToString("N"), ReportId.New(new FakeTimeProvider(receivedUtc))) with
        {
            ReceivedAt = receivedUtc,
            Channel = channel,
            ChannelInstance = channel + "-1",
            Location = province is null ? null : new Location { ProvinceCode = province, Basis = "reporter" },
            Incident = new Incident { Description = "x", Categories = categories ?? ["ONLINE.BULLYING"] },
            Reporter = new Reporter { Role = role, AgeBand = ageBand },
            Revision = revision,
        };
        await db.Store(_time).WriteAsync(e, JsonSerializer.Serialize(e, HubJsonContext.Default.ReportEnvelope), CancellationToken.None);
        return e;
    }

    [Fact]
    public async Task Months_AreVietnamsMonths_AndARevisionCountsOnce()
    {
        var y = 2031;
        await SeedAsync(new DateTimeOffset(y, 1, 31, 16, 59, 0, TimeSpan.Zero)); // 23:59 on 31 January in Vietnam
        await SeedAsync(new DateTimeOffset(y, 1, 31, 17, 0, 0, TimeSpan.Zero)); // 00:00 on 1 February in Vietnam
        var revised = await SeedAsync(new DateTimeOffset(y, 2, 10, 3, 0, 0, TimeSpan.Zero), mid: "rev-" + Guid.NewGuid().ToString("N"));
        await SeedAsync(revised.ReceivedAt.AddMinutes(5), mid: revised.Source.ProviderMessageId, revision: 2); // the same report, revised
        await SeedAsync(new DateTimeOffset(y, 12, 31, 16, 30, 0, TimeSpan.Zero)); // 23:30 on 31 December in Vietnam
        await SeedAsync(new DateTimeOffset(y, 12, 31, 17, 30, 0, TimeSpan.Zero)); // the next year in Vietnam

        var months = await Stats.VolumesAsync(new DateOnly(y, 1, 1), new DateOnly(y, 12, 31), StatsBucket.Month, StatsDimension.Channel, CancellationToken.None);
        months.ShouldBe(
        [
            new VolumeRow(new DateOnly(y, 1, 1), "sms", 1),
            new VolumeRow(new DateOnly(y, 2, 1), "sms", 2),
            new VolumeRow(new DateOnly(y, 12, 1), "sms", 1),
        ]);
        (await Stats.VolumesAsync(new DateOnly(y, 1, 1), new DateOnly(y, 12, 31), StatsBucket.Year, StatsDimension.Channel, CancellationToken.None))
            .ShouldBe([new VolumeRow(new DateOnly(y, 1, 1), "sms", 4)]);
        (await Stats.VolumesAsync(new DateOnly(y, 2, 1), new DateOnly(y, 2, 1), StatsBucket.Day, StatsDimension.Channel, CancellationToken.None))
            .ShouldBe([new VolumeRow(new DateOnly(y, 2, 1), "sms", 1)], "1 February is one day in Vietnam: its first minute is 17:00 UTC the day before");
    }

    [Fact]
    public async Task Breakdowns_ByProvinceCategoryUrgencyReporterAndAge()
    {
        var y = 2032;
        var at = new DateTimeOffset(y, 3, 5, 2, 0, 0, TimeSpan.Zero);
        await SeedAsync(at, province: "01", categories: ["ONLINE.BULLYING", "OCSEA.SEXTORTION"]);
        await SeedAsync(at.AddHours(1), province: "48", categories: ["OCSEA.SEXTORTION"], role: ReporterRoles.Parent, ageBand: "adult");
        await SeedAsync(at.AddHours(2), channel: ReportChannels.Web, province: null, categories: []);

        var from = new DateOnly(y, 1, 1);
        var to = new DateOnly(y, 12, 31);
        var month = new DateOnly(y, 3, 1);
        async Task<IReadOnlyList<(string, long)>> By(StatsDimension d) =>
            [.. (await Stats.VolumesAsync(from, to, StatsBucket.Month, d, CancellationToken.None)).Select(r => (r.Key, r.Cases))];

        (await By(StatsDimension.Province)).ShouldBe([("01", 1L), ("48", 1L), ("unknown", 1L)]);
        (await By(StatsDimension.Category)).ShouldBe([("OCSEA.SEXTORTION", 2L), ("ONLINE.BULLYING", 1L), ("unclassified", 1L)], "a case counts once in each of its categories");
        (await By(StatsDimension.Channel)).ShouldBe([("sms", 2L), ("web", 1L)]);
        (await By(StatsDimension.ReporterRole)).ShouldBe([("child", 2L), ("parent", 1L)]);
        (await By(StatsDimension.AgeBand)).ShouldBe([("13-15", 2L), ("adult", 1L)]);
        (await By(StatsDimension.Urgency)).Sum(r => r.Item2).ShouldBe(3);
        (await Stats.VolumesAsync(from, to, StatsBucket.Month, StatsDimension.Channel, CancellationToken.None)).ShouldAllBe(r => r.Period == month);
    }

    [Fact]
    public async Task APeriodEndingBeforeItStarts_IsRefused() =>
        await Should.ThrowAsync<Hub.Functions.Cases.CaseOperationException>(() => Stats.VolumesAsync(new DateOnly(2030, 2, 1), new DateOnly(2030, 1, 1), StatsBucket.Day, StatsDimension.Channel, CancellationToken.None));
}
