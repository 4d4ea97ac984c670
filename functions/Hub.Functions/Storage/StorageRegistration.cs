using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Storage;

public enum StorageResourceKind
{
    Queue,
    Table,
    Container,
}

/// <summary>A queue, table or blob container an area uses. Registered by the area, created by <see cref="HubStorage"/>.</summary>
public sealed record StorageResource(StorageResourceKind Kind, string Name);

public static class StorageRegistration
{
    /// <summary>Azure Storage through the SDK (Azurite locally): the intake queue, raw requests and evidence.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.TryAddSingleton<HubStorage>();
        return services;
    }

    /// <summary>Declares a resource an area owns: created with the others on first use, checked against the infrastructure by a test.</summary>
    public static IServiceCollection AddStorageResource(this IServiceCollection services, StorageResourceKind kind, string name)
    {
        services.AddSingleton(new StorageResource(kind, name));
        return services;
    }

    public static IServiceCollection AddStorageTable(this IServiceCollection services, string name) => services.AddStorageResource(StorageResourceKind.Table, name);

    /// <summary>A work queue and its <c>-poison</c> queue.</summary>
    public static IServiceCollection AddStorageQueue(this IServiceCollection services, string name) =>
        services.AddStorageResource(StorageResourceKind.Queue, name).AddStorageResource(StorageResourceKind.Queue, name + "-poison");
}
