using Hub.Core.Text;
using Hub.Functions.Bots;
using Hub.Functions.Channels;
using Hub.Functions.Channels.Messenger;
using Hub.Functions.Channels.Platform;
using Hub.Functions.Channels.TwilioVoice;
using Hub.Functions.Channels.Zalo;
using Hub.Functions.Channels.SmsGateway;
using Hub.Functions.Channels.TwilioSms;
using Hub.Functions.Intake;
using Hub.Functions.Privacy;
using Hub.Functions.Processing;
using Hub.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Hosting;

/// <summary>Service registration and endpoint mapping for both hosting modes (DESIGN "Two hosting modes, one code path").</summary>
public static class HubApp
{
    public const string CustomHandlerPortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";
    public const string DefaultUrl = "http://localhost:7071";

    public static bool IsCustomHandler(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[CustomHandlerPortVariable]);

    public static WebApplicationBuilder AddHub(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var config = builder.Configuration;
        if (IsCustomHandler(config))
        {
            // The Functions host picks a loopback port and proxies HTTP to it; the host runs the queue triggers.
            builder.WebHost.UseUrls($"http://127.0.0.1:{config[CustomHandlerPortVariable]}");
        }
        else if (string.IsNullOrEmpty(config[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddHubServices(builder.Environment);
        return builder;
    }

    /// <summary>Everything but the web host: also used by the admin commands.</summary>
    public static IServiceCollection AddHubServices(this IServiceCollection services, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        services.AddHostedService<StartupChecks>();
        services.AddHostedService<AzuriteLauncher>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PrivacyOptions>().BindConfiguration(PrivacyOptions.Section).ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<PrivacyOptions>, PrivacyOptionsSetup>();
        services.AddSingleton<IValidateOptions<PrivacyOptions>, PrivacyOptionsSetup>();
        services.AddOptions<ChannelsOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<ChannelsOptions>, ChannelsOptionsSetup>();
        services.AddSingleton<IValidateOptions<ChannelsOptions>, ChannelsOptionsSetup>();

        services.AddSingleton<PrivacyServices>();
        services.AddSingleton<HubStorage>();
        services.AddSingleton<IntakeService>();
        services.AddSingleton<Spool.LocalSpool>();
        services.AddSingleton<Spool.SpoolRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<Spool.SpoolRelay>());
        services.AddSingleton<MediaFetcher>();
        services.AddHttpClient(MediaFetcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => MediaFetcher.CreateHandler(allowPrivateNetworks: false))
            .ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(12));
        services.AddHttpClient(MediaFetcher.PrivateHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => MediaFetcher.CreateHandler(allowPrivateNetworks: true))
            .ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(12));
        services.TryAddSingleton<ICaseWriter, TableCaseWriter>();
        services.AddSingleton<ReportProcessor>();
        services.AddSingleton<PoisonMessages>();
        services.AddSingleton<OptOuts>();
        services.AddSingleton<QueuePoller>();
        services.AddHostedService(sp => sp.GetRequiredService<QueuePoller>());

        // Chat channels: webhook inbox, conversation state, turn processing and the providers' send APIs.
        services.AddSingleton<BotInbox>();
        services.AddSingleton<ConversationStore>();
        services.AddSingleton<BotTurnProcessor>();
        services.AddSingleton<ZaloTokens>();
        services.AddSingleton<IChatSender, MessengerSender>();
        services.AddSingleton<IChatSender, ZaloSender>();
        foreach (var name in new[] { MessengerSender.HttpClientName, ZaloSender.HttpClientName, ZaloTokens.HttpClientName })
        {
            services.AddHttpClient(name, c => c.Timeout = TimeSpan.FromSeconds(15)).RemoveAllLoggers();
        }

        services.AddSingleton<CallStore>();
        services.AddHttpClient(TwilioVoiceChannel.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15)).RemoveAllLoggers();

        // Platform auto-report API and the takedown loop.
        services.AddOptions<PlatformsOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<PlatformsOptions>, PlatformsOptionsSetup>();
        services.AddSingleton<IValidateOptions<PlatformsOptions>, PlatformsOptionsSetup>();
        services.AddOptions<PlatformApiOptions>().BindConfiguration(PlatformApiOptions.Section);
        services.AddOptions<SigningOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<SigningOptions>, SigningOptionsSetup>();
        services.AddSingleton<IValidateOptions<SigningOptions>, SigningOptionsSetup>();
        services.AddSingleton<HubSigningKeys>();
        services.AddSingleton<PlatformRegistry>();
        services.AddSingleton<PlatformRateLimiter>();
        services.AddSingleton<PlatformReports>();
        services.AddSingleton<Takedowns>();
        services.AddHttpClient(Takedowns.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.AddSingleton<TakedownPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<TakedownPoller>());

        services.AddSingleton<BotTurnPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<BotTurnPoller>());
        services.AddProblemDetails();
        return services;
    }

    public static WebApplication MapHub(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapGet("/", () => Results.Text("hub")).ExcludeFromDescription(); // custom-handler readiness probe
        app.MapHealth();
        app.MapTwilioSms();
        app.MapSmsGateway();
        app.MapTwilioVoice();
        app.MapMessenger();
        app.MapZalo();
        app.MapPlatformApi();
        app.MapProcessReport();
        app.MapBotTurn();
        app.MapDeliverTakedown();
        return app;
    }
}

/// <summary>Refuses to start when the platform would silently break Vietnamese text or a secret is unresolved.</summary>
internal sealed class StartupChecks(IConfiguration configuration) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!VietnameseText.NormalizationWorks())
        {
            throw new InvalidOperationException(
                "Unicode normalisation is a no-op here (globalization-invariant mode or no ICU). Vietnamese text would be stored unnormalised; refusing to start.");
        }

        var unresolved = configuration.AsEnumerable()
            .Where(kv => kv.Value?.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal) == true)
            .Select(kv => kv.Key)
            .ToList();
        if (unresolved.Count > 0)
        {
            throw new InvalidOperationException($"Unresolved Key Vault references in: {string.Join(", ", unresolved)}. Check the app's identity and the vault's access.");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
