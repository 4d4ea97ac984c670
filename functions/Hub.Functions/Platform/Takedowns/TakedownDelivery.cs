using Hub.Functions.Messaging;

namespace Hub.Functions.Platform;

/// <summary>The <c>takedowns</c> queue's consumer (<c>DeliverTakedown</c>): one queued request delivered to the platform.</summary>
public sealed class TakedownDelivery(Takedowns takedowns) : IQueueHandler
{
    public const string FunctionName = "DeliverTakedown";
    public const string BindingName = "takedown";

    public Task<string> HandleAsync(string message, CancellationToken ct) => takedowns.DeliverAsync(message, ct);
}
