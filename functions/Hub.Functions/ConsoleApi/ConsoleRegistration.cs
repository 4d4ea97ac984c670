using Hub.Functions.Cases;
using Microsoft.AspNetCore.OpenApi;

namespace Hub.Functions.ConsoleApi;

/// <summary>The staff side: sign-in, the operator API, its OpenAPI description and the headers that protect its pages.</summary>
public static class ConsoleRegistration
{
    public static IServiceCollection AddConsoleApi(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSignIn(configuration, environment);
        services.AddSingleton<CaseChangeSignal>();
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section);
        services.AddRazorComponents(); // the console's pages: Razor components rendered on the server (static SSR), no circuit

        // Vietnamese stays as UTF-8 in the pages (the default encoder writes every accented letter as an entity, which
        // triples a queue page's bytes); HTML's own special characters are still encoded.
        services.AddWebEncoders(o => o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddOpenApi("console", o => o.ShouldInclude = d => d.RelativePath?.StartsWith("api/console/", StringComparison.Ordinal) == true);
        if (environment.IsDevelopment())
        {
            services.AddHostedService<DevelopmentStaff>();
        }

        return services;
    }

    public static bool IsStaffPath(PathString path) =>
        path.StartsWithSegments("/api/console") || path.StartsWithSegments("/auth") || path.StartsWithSegments("/console");

    /// <summary>Headers, rate limits, authentication and the session check for staff paths only: provider webhooks never pay for them.</summary>
    public static WebApplication UseConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var development = app.Environment.IsDevelopment();
        app.Use((context, next) =>
        {
            var h = context.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            if (!development)
            {
                // Behind Azure's TLS front end the app sees plain HTTP, so HSTS is sent whatever the request's scheme.
                h.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            }

            if (IsStaffPath(context.Request.Path))
            {
                h.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
                h.XFrameOptions = "DENY";
                h["Referrer-Policy"] = "no-referrer";
                h["Cross-Origin-Opener-Policy"] = "same-origin";
                h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            }
            else if (Channels.Web.WebFormEndpoints.IsWebFormPath(context.Request.Path))
            {
                Channels.Web.WebFormEndpoints.Headers(context);
            }

            return next(context);
        });
        app.UseWhen(c => IsStaffPath(c.Request.Path), staff =>
        {
            staff.UseRateLimiter();
            staff.UseAuthentication();
            staff.UseSignInSession();
        });
        return app;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapSignIn();
        app.MapConsoleApi();
        app.MapConsolePages();
        app.MapOpenApi(ConsoleApi.Prefix + "/openapi/{documentName}.json").WithName("console.openapi").RequireConsoleAccess().WithMetadata(new Hosting.FunctionMetadata(ConsoleApi.FunctionName));
        return app;
    }
}

/// <summary>
/// Development only: the demo users of <c>/auth/dev</c>, one per role in the central team and in two provinces
/// (Đà Nẵng, where the demo SMS goes, and Hà Nội), the two provinces' police and A05's liaisons (referrals), created
/// once; never in any other environment.
/// </summary>
public sealed partial class DevelopmentStaff(People people, ILogger<DevelopmentStaff> logger) : BackgroundService
{
    public static readonly IReadOnlyList<(string Login, string Name, string Team, string Role)> All =
    [
        ("demo.counsellor", "Tư vấn viên Đà Nẵng (demo)", "province-48", Roles.Counsellor),
        ("demo.supervisor", "Giám sát viên Đà Nẵng (demo)", "province-48", Roles.Supervisor),
        ("demo.liaison", "Cán bộ liên lạc Đà Nẵng (demo)", "province-48", Roles.Liaison),
        ("demo.counsellor.hn", "Tư vấn viên Hà Nội (demo)", "province-01", Roles.Counsellor),
        ("demo.liaison.hn", "Cán bộ liên lạc Hà Nội (demo)", "province-01", Roles.Liaison),
        ("demo.police", "Cán bộ Công an Đà Nẵng (demo)", "police-48", Roles.Liaison),
        ("demo.police.hn", "Cán bộ Công an Hà Nội (demo)", "police-01", Roles.Liaison),
        ("demo.a05", "Cán bộ A05 (demo)", "agency-a05", Roles.Liaison),
        ("demo.central", "Tư vấn viên Tổng đài 111 (demo)", "central-111", Roles.Counsellor),
        ("demo.central.supervisor", "Giám sát viên Tổng đài 111 (demo)", "central-111", Roles.Supervisor),
        ("demo.analyst", "Chuyên viên thống kê (demo)", "central-111", Roles.Analyst),
        ("demo.admin", "Quản trị viên (demo)", "central-111", Roles.Admin),
        ("demo.curator", "Cán bộ thẩm định tư liệu Tổng đài 111 (demo)", "central-111", Roles.Counsellor + "," + Roles.HashCurator), // roles separated by commas
    ];

    public static async Task EnsureAsync(People people, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(people);
        foreach (var (login, name, team, role) in All)
        {
            if (await people.FindUserAsync(login, ct) is null)
            {
                await people.AddUserAsync(Actor.Console("demo-seed"), login, name, [team], role.Split(','), SignIn.DevIssuer, login, ct);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await EnsureAsync(people, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSeedFailed(logger, ex.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo users were not created ({Error}); /auth/dev lists none until the case store is up")]
    private static partial void LogSeedFailed(ILogger logger, string error);
}
