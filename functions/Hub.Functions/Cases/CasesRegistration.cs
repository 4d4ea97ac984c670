using Hub.Functions.Messaging;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Cases;

public static class CasesRegistration
{
    /// <summary>
    /// Cases: the store behind <see cref="ICaseStore"/> (Azure Tables, until PostgreSQL) and <c>ProcessReport</c>, the
    /// consumer of the reports queue that turns each envelope into exactly one case.
    /// </summary>
    public static IServiceCollection AddCases(this IServiceCollection services)
    {
        services.AddStorageTable(TableCaseStore.TableName);
        services.TryAddSingleton<TableCaseStore>();
        services.TryAddSingleton<ICaseStore>(sp => sp.GetRequiredService<TableCaseStore>());
        services.AddQueueConsumer<ReportProcessor>(ReportProcessor.FunctionName, ReportProcessor.BindingName, storage => storage.Reports);
        return services;
    }
}
