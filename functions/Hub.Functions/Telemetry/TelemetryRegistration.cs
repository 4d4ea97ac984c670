using System.Diagnostics;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hub.Functions.Telemetry;

/// <summary><c>Hub:Telemetry</c> (docs/observability.md).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Hub:Telemetry";

    /// <summary>How often the gauges' sources (queues, spool, case store) are read.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Development only: the loopback port of the Prometheus scrape endpoint (<c>/metrics</c>); 0 lets the kernel pick; unset: none.</summary>
    public int? PrometheusPort { get; set; }

    /// <summary>
    /// The share of traces recorded (0–1; default all). A request that arrives with a sampled W3C parent follows its
    /// parent's decision; the rest are kept by trace id, so a report's spans are all kept or all dropped.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>
    /// The meter's name (default <c>Hub</c>). An exporter listens to meters by name process-wide: hubs sharing one process
    /// (the test suite) each name their own, so one host's exporter never merges, or loses with a stopped host, another's.
    /// </summary>
    public string MeterName { get; set; } = HubTelemetry.Name;

    /// <summary>Record traces and metrics even with no exporter configured (tests add an in-memory exporter).</summary>
    public bool Enabled { get; set; }

    /// <summary>Set at start-up: some exporter will read the metrics (the sampler runs only then).</summary>
    public bool MetricsEnabled { get; set; }
}

/// <summary>
/// OpenTelemetry for the web host (both hosting modes): traces of the hub's own spans (<see cref="HubTelemetry.Source"/>),
/// ASP.NET Core, outbound HTTP (providers, webhooks and Azure Storage, whose SDK speaks HTTP) and Npgsql; the hub's
/// metrics (<see cref="HubMetrics"/>). Exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, to Azure Monitor
/// when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (Entra ID through the managed identity: local auth is off),
/// and in Development on a loopback Prometheus endpoint. With none of them nothing is recorded. No span carries a
/// query string, a table key, a provider user id or a path segment with an id (<see cref="TraceScrubber"/>).
/// </summary>
public static class TelemetryRegistration
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string AzureMonitorVariable = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>What every host shares: the instruments and the last sample (recording into an unobserved instrument costs nothing).</summary>
    public static IServiceCollection AddTelemetryCore(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TelemetrySnapshot>();
        services.AddSingleton(sp => new HubMetrics(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<TelemetrySnapshot>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value.MeterName));
        return services;
    }

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var config = builder.Configuration;
        var options = config.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = !string.IsNullOrWhiteSpace(config[OtlpEndpointVariable]);
        var azureMonitor = config[AzureMonitorVariable] is { Length: > 0 } connectionString ? connectionString : null;
        var prometheus = builder.Environment.IsDevelopment() && options.PrometheusPort is >= 0 and <= 65535;
        var traces = otlp || azureMonitor is not null || options.Enabled;
        var metrics = traces || prometheus;
        builder.Services.PostConfigure<TelemetryOptions>(o => o.MetricsEnabled = metrics);
        if (!metrics)
        {
            return builder;
        }

        builder.Services.AddHostedService<TelemetrySampler>();
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("hub-functions", serviceVersion: typeof(TelemetryRegistration).Assembly.GetName().Version?.ToString()));

        if (traces)
        {
            otel.WithTracing(t =>
            {
                t.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(options.TraceSampleRatio, 0, 1))))
                    .AddSource(HubTelemetry.Name, "Npgsql")
                    .AddAspNetCoreInstrumentation(o =>
                    {
                        o.Filter = http => !http.Request.Path.StartsWithSegments("/api/health", StringComparison.Ordinal);
                        o.EnrichWithHttpResponse = TraceScrubber.ScrubServer;
                        o.RecordException = false; // exception messages can quote request data
                    })
                    .AddHttpClientInstrumentation(o =>
                    {
                        o.EnrichWithHttpRequestMessage = TraceScrubber.ScrubClient;
                        o.RecordException = false;
                    });
                if (otlp)
                {
                    t.AddOtlpExporter();
                }

                if (azureMonitor is not null)
                {
                    t.AddAzureMonitorTraceExporter(o => ConfigureAzureMonitor(o, azureMonitor, config["Hub:Storage:ManagedIdentityClientId"]));
                }
            });
        }

        otel.WithMetrics(m =>
        {
            m.AddMeter(options.MeterName);
            if (otlp)
            {
                m.AddOtlpExporter();
            }

            if (azureMonitor is not null)
            {
                m.AddAzureMonitorMetricExporter(o => ConfigureAzureMonitor(o, azureMonitor, config["Hub:Storage:ManagedIdentityClientId"]));
            }

            if (prometheus)
            {
                m.AddPrometheusExporter();
            }
        });

        if (prometheus)
        {
            builder.Services.AddSingleton<PrometheusScrapeServer>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PrometheusScrapeServer>());
        }

        return builder;
    }

    private static void ConfigureAzureMonitor(AzureMonitorExporterOptions o, string connectionString, string? managedIdentityClientId)
    {
        o.ConnectionString = connectionString;

        // infra-bicep turns local authentication off: telemetry is accepted with Entra ID only (the managed identity storage uses).
        if (managedIdentityClientId is { Length: > 0 } clientId)
        {
            o.Credential = new Azure.Identity.ManagedIdentityCredential(Azure.Identity.ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        o.StorageDirectory = Path.Combine(Path.GetTempPath(), "hub-telemetry");
    }
}

/// <summary>Removes what could identify a person from the instrumented spans: queries, table keys, ids in paths.</summary>
public static partial class TraceScrubber
{
    /// <summary>An inbound span names the route template (<c>/api/channels/twilio-sms/{instance}</c>), never the path or query.</summary>
    public static void ScrubServer(Activity activity, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(response);
        var route = (response.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        activity.SetTag("url.path", route ?? ScrubPath(response.HttpContext.Request.Path.Value ?? "/"));
        activity.SetTag("url.query", null);
        activity.SetTag("user_agent.original", null);
        activity.SetTag("client.address", null);
    }

    /// <summary>An outbound span keeps scheme, host and a scrubbed path (<see cref="ScrubUrl"/>).</summary>
    public static void ScrubClient(Activity activity, HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is { } uri)
        {
            activity.SetTag("url.full", ScrubUrl(uri));
        }
    }

    public static string ScrubUrl(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            return ScrubPath(uri.OriginalString.Split('?')[0]);
        }

        var path = uri.AbsolutePath;
        return NeedsScrubbing(path) ? $"{uri.Scheme}://{uri.Authority}{ScrubPath(path)}" : uri.GetLeftPart(UriPartial.Path);
    }

    /// <summary>Whether <see cref="ScrubPath"/> would change anything (one pass, no allocation: most storage URLs need nothing).</summary>
    private static bool NeedsScrubbing(string path)
    {
        var digits = 0;
        foreach (var c in path)
        {
            if (c is '(' or '@' or '+' or '%')
            {
                return true;
            }

            digits = char.IsAsciiDigit(c) ? digits + 1 : 0;
            if (digits >= 5)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A path with its identifying parts replaced: a table entity's keys (<c>intake(PartitionKey='…',RowKey='…')</c>
    /// → <c>intake(…)</c>), and any segment with a run of 5 or more digits, an <c>@</c>, a <c>+</c> or a percent-escape
    /// (provider user ids, phone numbers, e-mail addresses) → <c>{id}</c>. Blob names (report ids, dates) stay readable.
    /// </summary>
    public static string ScrubPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        path = EntityKeys().Replace(path, "(…)");
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (IdLike().IsMatch(segments[i]))
            {
                segments[i] = "{id}";
            }
        }

        return string.Join('/', segments);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\([^)]*\)")]
    private static partial System.Text.RegularExpressions.Regex EntityKeys();

    [System.Text.RegularExpressions.GeneratedRegex(@"\d{5}|[@+%]")]
    private static partial System.Text.RegularExpressions.Regex IdLike();
}

/// <summary>
/// Development's Prometheus scrape endpoint: <c>GET /metrics</c> on its own loopback listener (never on the public
/// one), a second Kestrel server that serves nothing else. <see cref="Address"/> says where it listens.
/// </summary>
public sealed partial class PrometheusScrapeServer(IServiceProvider services, IOptions<TelemetryOptions> options, ILogger<PrometheusScrapeServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var provider = services.GetRequiredService<MeterProvider>();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development, ApplicationName = typeof(PrometheusScrapeServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, options.Value.PrometheusPort ?? 0));
        _app = builder.Build();
        _app.UseOpenTelemetryPrometheusScrapingEndpoint(provider, context => context.Request.Path == "/metrics", null, null, null);
        _app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            // Another process has the port (a second hub in Development): the hub runs on, without this endpoint.
            LogUnavailable(logger, options.Value.PrometheusPort ?? 0, ex.GetType().Name);
            await _app.DisposeAsync();
            _app = null;
            return;
        }

        var address = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(new Uri(address), "/metrics");
        LogListening(logger, Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics for Prometheus: port {Port} is taken ({Cause}); no scrape endpoint in this process")]
    private static partial void LogUnavailable(ILogger logger, int port, string cause);

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics for Prometheus on {Address} (loopback only)")]
    private static partial void LogListening(ILogger logger, Uri address);
}
