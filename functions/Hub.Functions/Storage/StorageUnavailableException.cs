namespace Hub.Functions.Storage;

/// <summary>Storage could not take the write: nothing was acknowledged, the caller answers 503 + Retry-After.</summary>
public sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);
