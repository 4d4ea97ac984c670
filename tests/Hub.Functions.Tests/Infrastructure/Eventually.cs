namespace Hub.Functions.Tests.Infrastructure;

/// <summary>Waits for a condition that background work (the queue processor, a long-poll) makes true: polls, never a fixed sleep standing in for readiness.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, double seconds = 30)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(seconds);
        while (!await condition())
        {
            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"the condition did not hold within {seconds} s");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits for <paramref name="read"/> to answer something (a case the processor writes), and answers it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> read, double seconds = 30)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(read);
        T? value = null;
        await TrueAsync(async () => (value = await read()) is not null, seconds);
        return value!;
    }
}
