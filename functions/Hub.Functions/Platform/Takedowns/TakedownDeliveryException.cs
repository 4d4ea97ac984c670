namespace Hub.Functions.Platform;

/// <summary>A delivery that failed after its in-call retries; the queue tries again later, then poisons it.</summary>
public sealed class TakedownDeliveryException(string message) : Exception(message);
