using Hub.Functions.Cases.Database;
using Hub.Functions.Messaging;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Cases;

public static class CasesRegistration
{
    /// <summary>
    /// Cases: PostgreSQL (<see cref="CaseDatabase"/>, migrated on first use) behind <see cref="ICaseStore"/>, the case
    /// service (lifecycle, owners, clocks, notes, audit), and <c>ProcessReport</c>, the consumer of the reports queue
    /// that turns each envelope into exactly one case.
    /// </summary>
    public static IServiceCollection AddCases(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Options.IValidateOptions<Hosting.HubOptions>, RoutingValidation>());
        services.TryAddSingleton<CaseDatabase>();
        services.AddHostedService<CaseDatabaseStartup>();
        services.TryAddSingleton<PostgresCaseStore>();
        services.TryAddSingleton<ICaseStore>(sp => sp.GetRequiredService<PostgresCaseStore>());
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<People>();
        services.TryAddSingleton<CaseService>();
        services.TryAddSingleton<Hashing.HashBanks>();
        services.TryAddSingleton<Hashing.HashMatcher>();
        services.TryAddSingleton<Statistics.CaseStatistics>();
        services.AddHostedService<Statistics.StatsFolder>();
        services.AddHostedService<Hashing.HashIndexStartup>();
        services.AddQueueConsumer<ReportProcessor>(ReportProcessor.FunctionName, ReportProcessor.BindingName, storage => storage.Reports);
        return services;
    }
}
