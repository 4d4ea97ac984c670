using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Privacy;

public static class PrivacyRegistration
{
    /// <summary>Pseudonym and contact keys (validated at start-up; fixed development keys only in Development) and the services built on them.</summary>
    public static IServiceCollection AddPrivacy(this IServiceCollection services)
    {
        services.AddOptions<PrivacyOptions>().BindConfiguration(PrivacyOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<PrivacyOptions>, PrivacyOptionsSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PrivacyOptions>, PrivacyOptionsSetup>());
        services.TryAddSingleton<PrivacyServices>();
        return services;
    }
}
