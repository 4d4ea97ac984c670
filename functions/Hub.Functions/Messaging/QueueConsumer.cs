using Azure.Storage.Queues;
using Hub.Functions.Storage;

namespace Hub.Functions.Messaging;

/// <summary>What handles a queue's messages: one message in, an outcome (for the Functions host's log) out.</summary>
public interface IQueueHandler
{
    /// <summary>Throws <see cref="PoisonMessageException"/> for a message that can never succeed; any other failure is retried.</summary>
    Task<string> HandleAsync(string message, CancellationToken ct);
}

/// <summary>A message that can never succeed (not what the queue carries): goes to poison at once, no retries.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);

/// <summary>
/// The message is fine but something it needs (the case store) cannot be reached: not an attempt. The message is put
/// back on its queue, hidden for <see cref="RetryAfter"/>, with its attempt count reset (docs/reliability.md#case-store-outages).
/// </summary>
public sealed class DependencyUnavailableException(string dependency, TimeSpan retryAfter, Exception inner)
    : Exception($"{dependency} unavailable ({inner?.GetType().Name})", inner)
{
    public string Dependency { get; } = dependency;

    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// One queue and its consumer, registered once (<see cref="MessagingRegistration.AddQueueConsumer{THandler}"/>), from
/// which both hosting modes are built: the standalone <see cref="QueueWorker"/> and the custom-handler function
/// <c>POST /{FunctionName}</c> with the queue trigger's binding <see cref="BindingName"/> (its <c>function.json</c>).
/// </summary>
/// <param name="FunctionName">The Azure Function's name (its folder under <c>FunctionApp/</c>).</param>
/// <param name="BindingName">The queue trigger binding's name in <c>function.json</c>.</param>
/// <param name="PoisonOption">The admin commands' flag for this queue's poison queue (<c>--bot-turns</c>), or null for the default queue.</param>
/// <param name="Handler">The <see cref="IQueueHandler"/> service type.</param>
/// <param name="Queue">Picks the queue from storage (a configured name, or the owning area's constant).</param>
public sealed record QueueConsumer(string FunctionName, string BindingName, string? PoisonOption, Type Handler, Func<HubStorage, QueueClient> Queue);
