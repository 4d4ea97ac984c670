using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Spool;

public static class SpoolRegistration
{
    /// <summary>The standalone hub's local spool (acknowledge while storage is down) and its relay.</summary>
    public static IServiceCollection AddSpool(this IServiceCollection services)
    {
        services.TryAddSingleton<LocalSpool>();
        services.TryAddSingleton<SpoolRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<SpoolRelay>());
        return services;
    }

    /// <summary>Declares how one kind of spooled record is delivered when storage answers again.</summary>
    public static IServiceCollection AddSpoolReplayer<T>(this IServiceCollection services)
        where T : class, ISpoolReplayer
    {
        services.TryAddSingleton<T>();
        services.AddSingleton<ISpoolReplayer>(sp => sp.GetRequiredService<T>());
        return services;
    }
}
