using Hub.Functions.Spool;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Intake;

public static class IntakeRegistration
{
    /// <summary>The one write path every channel's report takes: raw request and evidence, dedup row, envelope on the queue.</summary>
    public static IServiceCollection AddIntake(this IServiceCollection services)
    {
        services.AddStorageTable(IntakeService.TableName);
        services.TryAddSingleton<IntakeService>();
        services.AddSpoolReplayer<IntakeSpoolReplayer>();
        return services;
    }
}
