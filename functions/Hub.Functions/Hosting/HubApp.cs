using Hub.Functions.Referrals;
using Hub.Functions.Channels.SmsOutbound;
using Hub.Functions.Cases;
using Hub.Functions.Channels;
using Hub.Functions.Chat;
using Hub.Functions.ConsoleApi;
using Hub.Functions.Media;
using Hub.Functions.Intake;
using Hub.Functions.Messaging;
using Hub.Functions.Platform;
using Hub.Functions.Privacy;
using Hub.Functions.Spool;
using Hub.Functions.Storage;
using Hub.Functions.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Functions.Hosting;

/// <summary>Service registration and endpoint mapping for both hosting modes (README "Two hosting modes, one code path").</summary>
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
        builder.AddTelemetry(); // Telemetry/: traces and metrics when an exporter is configured (web host only)
        builder.Services.AddConsoleApi(builder.Configuration, builder.Environment); // ConsoleApi/: staff sign-in and the operator API (web host only)
        return builder;
    }

    /// <summary>Everything but the web host (also what the admin commands run with): one line per feature area.</summary>
    public static IServiceCollection AddHubServices(this IServiceCollection services, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return services
            .AddHosting()       // Hosting/: options, start-up checks, Azurite in Development, problem details
            .AddTelemetryCore() // Telemetry/: the hub's metrics instruments (recorded always, exported when configured)
            .AddStorage()       // Storage/: queues, tables, blobs through the Azure SDK
            .AddPrivacy()       // Privacy/: pseudonyms and sealed contacts
            .AddMedia()         // Media/: evidence fetched from providers' hosts only
            .AddIntake()        // Intake/: the one write path into the reports queue
            .AddSpool()         // Spool/: acknowledge while storage is down (standalone)
            .AddMessaging()     // Messaging/: queue consumers in both hosting modes, poison queues
            .AddCases()         // Cases/: one case per report, behind ICaseStore
            .AddChannels()      // Channels/<type>/: one descriptor per channel type
            .AddChat()          // Chat/: the chatbots' inbox, conversations and dialog turns
            .AddSmsReplies()    // Channels/SmsOutbound/: counsellors' SMS replies, their queue and receipts
            .AddPlatformApi()   // Platform/: the platform auto-report API
            .AddTakedowns()     // Platform/Takedowns/: takedown requests to platforms
            .AddReferrals()     // Referrals/: hand-offs to provinces and agencies, and their signed webhooks
            .AddSessionKeys(environment); // ConsoleApi/: the key ring for staff sessions, shared by every instance
    }

    public static WebApplication MapHub(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseConsole();
        app.MapGet("/", () => Results.Text("hub")).ExcludeFromDescription(); // custom-handler readiness probe
        app.MapHealth();
        app.MapChannelsApi();
        app.MapSmsReceipts();
        app.MapPlatformApi();
        app.MapConsole();
        app.MapQueueFunctions();
        return app;
    }

    /// <summary>What every area relies on: options, time, start-up checks, Azurite in Development, problem details, the outbound pipelines.</summary>
    public static IServiceCollection AddHosting(this IServiceCollection services)
    {
        services.AddHostedService<StartupChecks>();
        services.AddHostedService<AzuriteLauncher>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddProblemDetails();
        services.AddHubResilience();
        return services;
    }
}
