namespace Hub.Functions.Hosting;

/// <summary>
/// Endpoint metadata naming the Azure Function (folder under FunctionApp/ with its function.json) that
/// routes to the endpoint. A test checks folders and endpoints match one to one.
/// </summary>
public sealed record FunctionMetadata(string Name);
