using System.Net;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using Polly.Registry;

namespace Hub.Functions.Tests.Hosting;

/// <summary>The named outbound pipelines: registered once, on the injected clock, honouring both forms of Retry-After.</summary>
public sealed class ResilienceTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RetryAfter_DelaySeconds_IsThatDelay()
    {
        using var r = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
        Resilience.RetryAfter(r, new FakeTimeProvider(Start)).ShouldBe(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void RetryAfter_HttpDate_IsTheTimeUntilThenOnTheInjectedClock()
    {
        using var r = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        r.Headers.TryAddWithoutValidation("Retry-After", "Tue, 01 Dec 2026 08:00:45 GMT");
        Resilience.RetryAfter(r, new FakeTimeProvider(Start)).ShouldBe(TimeSpan.FromSeconds(45));
    }

    [Fact]
    public void RetryAfter_DateInThePast_IsNoWait_AndNoHeaderIsNull()
    {
        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.TryAddWithoutValidation("Retry-After", "Tue, 01 Dec 2026 07:59:00 GMT");
        Resilience.RetryAfter(past, new FakeTimeProvider(Start)).ShouldBe(TimeSpan.Zero);
        using var none = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        Resilience.RetryAfter(none, new FakeTimeProvider(Start)).ShouldBeNull();
    }

    [Theory]
    [InlineData(Resilience.ChatSend, "Tue, 01 Dec 2026 08:00:30 GMT", 30)]
    [InlineData(Resilience.ChatSend, "7", 7)]
    [InlineData(Resilience.ChatSend, "600", 60)] // capped: the turn is retried from the queue after that
    [InlineData(Resilience.TakedownCallback, "Tue, 01 Dec 2026 08:00:20 GMT", 20)]
    [InlineData(Resilience.TakedownCallback, "12", 12)]
    public async Task Pipeline_RetryAfterInEitherForm_WaitsThatLongOnTheInjectedClock(string pipeline, string retryAfter, int expectedSeconds)
    {
        var time = new FakeTimeProvider(Start);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton<TimeProvider>(time);
        services.AddLogging();
        services.AddOptions<HubOptions>();
        services.AddOptions<Hub.Functions.Platform.PlatformApiOptions>();
        services.AddHubResilience();
        await using var sp = services.BuildServiceProvider();
        var p = sp.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline<HttpResponseMessage>(pipeline);

        var attempts = new List<DateTimeOffset>();
        var run = p.ExecuteAsync(
            _ =>
            {
                attempts.Add(time.GetUtcNow());
                var response = new HttpResponseMessage(attempts.Count == 1 ? HttpStatusCode.TooManyRequests : HttpStatusCode.OK);
                if (attempts.Count == 1)
                {
                    response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
                }

                return ValueTask.FromResult(response);
            },
            CancellationToken.None).AsTask();

        for (var step = 0; step < 120 && !run.IsCompleted; step++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        using var final = await run.WaitAsync(TimeSpan.FromSeconds(30));
        final.StatusCode.ShouldBe(HttpStatusCode.OK);
        attempts.Count.ShouldBe(2);
        var waited = attempts[1] - attempts[0];
        waited.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(expectedSeconds));
        waited.ShouldBeLessThan(TimeSpan.FromSeconds(expectedSeconds + 2)); // the fake clock moves in 1 s steps
    }
}
