using Hub.Functions.Platform;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Functions.Tests.Platform;

public sealed class PlatformRateLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryAcquire_BurstUpToAMinutesWorth_ThenRefused()
    {
        var limiter = new PlatformRateLimiter(_time);
        for (var i = 0; i < 600; i++)
        {
            limiter.TryAcquire("p", 600, 1, out _).ShouldBeTrue();
        }

        limiter.TryAcquire("p", 600, 1, out var wait).ShouldBeFalse();
        wait.ShouldBe(TimeSpan.FromSeconds(1)); // 10 a second refill
    }

    [Fact]
    public void TryAcquire_RefillsContinuously()
    {
        var limiter = new PlatformRateLimiter(_time);
        limiter.TryAcquire("p", 600, 600, out _).ShouldBeTrue();
        _time.Advance(TimeSpan.FromSeconds(3));
        limiter.TryAcquire("p", 600, 30, out _).ShouldBeTrue();
        limiter.TryAcquire("p", 600, 1, out _).ShouldBeFalse();
    }

    [Fact]
    public void TryAcquire_LowRate_StillAdmitsOneFullBatch()
    {
        var limiter = new PlatformRateLimiter(_time);
        limiter.TryAcquire("p", 1, 100, out _).ShouldBeTrue();
        limiter.TryAcquire("p", 1, 1, out var wait).ShouldBeFalse();
        wait.ShouldBe(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void TryAcquire_BatchLargerThanWhatIsLeft_RefusedWithoutSpending()
    {
        var limiter = new PlatformRateLimiter(_time);
        limiter.TryAcquire("p", 120, 90, out _).ShouldBeTrue();
        limiter.TryAcquire("p", 120, 50, out var wait).ShouldBeFalse();
        wait.ShouldBe(TimeSpan.FromSeconds(10)); // 30 left of 120, 20 missing at 2 a second
        limiter.TryAcquire("p", 120, 30, out _).ShouldBeTrue(); // the refused batch took nothing
    }

    [Fact]
    public void TryAcquire_PlatformsAreIndependent()
    {
        var limiter = new PlatformRateLimiter(_time);
        limiter.TryAcquire("a", 1, 100, out _).ShouldBeTrue();
        limiter.TryAcquire("a", 1, 1, out _).ShouldBeFalse();
        limiter.TryAcquire("b", 1, 100, out _).ShouldBeTrue();
    }

    [Theory]
    [InlineData("#/files[0].hashes.md5", "$", "$.files[0].hashes.md5")]
    [InlineData("#/incident.type", "$.reports[3]", "$.reports[3].incident.type")]
    [InlineData("#/", "$", "$")]
    [InlineData(null, "$.reports[0]", "$.reports[0]")]
    [InlineData("#/[2]", "$.x", "$.x[2]")]
    public void ToJsonPath_SchemaPaths(string? schemaPath, string basePath, string expected) =>
        Infrastructure.NJsonSchemaReference.ToJsonPath(schemaPath, basePath).ShouldBe(expected);
}
