using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Hub.Functions.Cases;
using Hub.Functions.Cases.Database;
using Hub.Functions.Hosting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Hub.Functions.ConsoleApi;

/// <summary>
/// Staff sign-in: OpenID Connect (authorization code + PKCE) into a cookie session, bearer tokens for machine
/// clients, and the Development-only demo sign-in. Who someone is comes from the provider; the hub's users table
/// (keyed by issuer and subject) decides what they may do, and is read again on every request, so disabling a
/// user ends every session they have at once.
/// </summary>
public static partial class SignIn
{
    public const string CookieScheme = "hub-session";
    public const string OidcScheme = "oidc";
    public const string BearerScheme = "bearer";
    private const string PolicyScheme = "hub";
    public const string DevIssuer = "hub-dev";
    internal const string LoginHintItem = "login_hint";

    internal const string IssuerClaim = "iss";
    internal const string SessionIssuerClaim = "hub_iss";
    internal const string SubjectClaim = "sub";
    internal const string UserIdClaim = "hub_uid";
    internal const string SignedInAtClaim = "hub_auth_time";
    internal const string NameClaim = "name";

    private static readonly object ActorKey = new();
    private static readonly object PendingKey = new();
    private static readonly object UserKey = new();

    /// <summary>The signed-in, active hub user of this request; null when anonymous, unknown to the hub or disabled.</summary>
    public static Actor? ActorOf(HttpContext context) => context?.Items[ActorKey] as Actor;

    /// <summary>The hub user behind <see cref="ActorOf"/>, as read once for this request (display name and all).</summary>
    public static User? UserOf(HttpContext context) => context?.Items[UserKey] as User;

    /// <summary>True when a provider account signed in that the hub has no user for ("no access yet").</summary>
    public static bool IsPending(HttpContext context) => context?.Items[PendingKey] is true;

    public static IServiceCollection AddSignIn(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = environment.IsDevelopment() ? "hub.af" : "__Host-hub.af";
            o.Cookie.SecurePolicy = environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        });

        var builder = services.AddAuthentication(o =>
            {
                o.DefaultScheme = PolicyScheme;
                o.DefaultChallengeScheme = PolicyScheme;
            })
            .AddPolicyScheme(PolicyScheme, "cookie or bearer", o => o.ForwardDefaultSelector = ctx =>
                auth.Audience is not null && ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? BearerScheme : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                // __Host-: the browser only accepts it over HTTPS, for this host and path "/" (no subdomain can plant one).
                o.Cookie.Name = environment.IsDevelopment() ? "hub.session" : "__Host-hub.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                o.ExpireTimeSpan = auth.IdleTimeout;
                o.SlidingExpiration = true;
                o.LoginPath = "/auth/login";
                o.AccessDeniedPath = "/auth/no-access";
                o.Events.OnRedirectToLogin = ctx => Refuse(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => Refuse(ctx, StatusCodes.Status403Forbidden);
            });

        if (auth.OidcConfigured)
        {
            builder.AddOpenIdConnect(OidcScheme, o =>
            {
                o.Authority = auth.Authority;
                o.ClientId = auth.ClientId;
                o.ClientSecret = auth.ClientSecret;
                o.ResponseType = "code";
                o.ResponseMode = "query";
                o.UsePkce = true;
                o.CallbackPath = "/auth/callback";
                o.SignInScheme = CookieScheme;
                o.RequireHttpsMetadata = auth.RequireHttpsMetadata;
                o.MapInboundClaims = false;
                o.SaveTokens = false;
                o.GetClaimsFromUserInfoEndpoint = false;
                o.UseTokenLifetime = false;
                o.Scope.Clear();
                foreach (var scope in auth.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Prepend("openid").Distinct(StringComparer.Ordinal))
                {
                    o.Scope.Add(scope);
                }

                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = o.CorrelationCookie.SecurePolicy;
                o.TokenValidationParameters.NameClaimType = NameClaim;
                o.Events.OnRedirectToIdentityProvider = ctx =>
                {
                    if (ctx.Properties.Items.TryGetValue(LoginHintItem, out var hint))
                    {
                        ctx.ProtocolMessage.LoginHint = hint;
                    }

                    return Task.CompletedTask;
                };
                o.Events.OnTokenValidated = ctx =>
                {
                    // The session keeps who the provider says this is, and when they signed in; nothing else of the token.
                    var p = ctx.Principal!;
                    var name = p.FindFirstValue("name") ?? p.FindFirstValue("preferred_username") ?? p.FindFirstValue("email");
                    var (issuer, subject) = IssuerAndSubject(p);
                    if (issuer is null || subject is null)
                    {
                        ctx.Fail("the ID token names no issuer or subject");
                        return Task.CompletedTask;
                    }

                    ctx.Principal = Session(issuer, subject, name, null, ctx.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
                    return Task.CompletedTask;
                };
                o.Events.OnRemoteFailure = ctx =>
                {
                    // A refused sign-in (wrong issuer or audience, expired token, replayed or forged response): a page, never a stack trace.
                    var log = ctx.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignIn));
                    LogSignInRefused(log, ctx.Failure?.GetType().Name ?? "unknown");
                    ctx.Response.Redirect("/auth/error");
                    ctx.HandleResponse();
                    return Task.CompletedTask;
                };
            });
        }

        if (auth.OidcConfigured && auth.Audience is not null)
        {
            builder.AddJwtBearer(BearerScheme, o =>
            {
                o.Authority = auth.Authority;
                o.Audience = auth.Audience;
                o.RequireHttpsMetadata = auth.RequireHttpsMetadata;
                o.MapInboundClaims = false;
                o.Events = new JwtBearerEvents
                {
                    OnChallenge = ctx =>
                    {
                        ctx.HandleResponse();
                        return Refuse(ctx.HttpContext, StatusCodes.Status401Unauthorized);
                    },
                };
            });
        }

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (ctx, _) =>
            {
                ctx.HttpContext.Response.Headers.RetryAfter = "60";
                return ValueTask.CompletedTask;
            };

            // Sign-in attempts per client address: the callback included, so a flood of forged responses is cut off too.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
                ctx.Request.Path.StartsWithSegments("/auth")
                    ? RateLimitPartition.GetFixedWindowLimiter(ClientAddress(ctx) ?? "unknown", _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = auth.SignInPermitsPerMinute,
                        Window = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter(string.Empty));
        });
        return services;
    }

    /// <summary>
    /// After authentication, for staff paths only: the session's user read from the hub's own table. A disabled or
    /// deleted user is signed out; a session past its absolute lifetime ends; a provider account the hub does not
    /// know stays "pending" until an administrator adds it, and then becomes that user without signing in again.
    /// </summary>
    public static IApplicationBuilder UseSignInSession(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path;
        if ((path.StartsWithSegments("/api/console") || path.StartsWithSegments("/auth") || path.StartsWithSegments("/console")) && context.User.Identity?.IsAuthenticated == true)
        {
            try
            {
                await ResolveAsync(context);
            }
            catch (Exception ex) when (CaseDatabase.IsUnavailable(ex))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "15";
                await Results.Problem(title: "Case store unavailable", detail: "Sign-in could not be checked. Retry shortly.", statusCode: 503).ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    });

    private static async Task ResolveAsync(HttpContext context)
    {
        var p = context.User;
        var bearer = p.Identity?.AuthenticationType != CookieScheme;
        var (issuer, subject) = IssuerAndSubject(p);
        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        var options = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        var people = context.RequestServices.GetRequiredService<People>();
        long? uid = long.TryParse(p.FindFirstValue(UserIdClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        DateTimeOffset? signedInAt = long.TryParse(p.FindFirstValue(SignedInAtClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

        if (!bearer && (signedInAt is null || time.GetUtcNow() - signedInAt.Value > options.AbsoluteTimeout))
        {
            await EndAsync(context);
            return;
        }

        var user = uid is { } id ? await people.FindByIdAsync(id, context.RequestAborted)
            : issuer is not null && subject is not null ? await people.FindBySubjectAsync(issuer, subject, context.RequestAborted) : null;
        if (user is null && uid is null)
        {
            context.Items[PendingKey] = true;
            return;
        }

        if (user is null || !user.Active || (uid is not null && (user.Issuer != issuer || user.Subject != subject)))
        {
            await EndAsync(context, signOut: !bearer);
            return;
        }

        context.Items[UserKey] = user;
        context.Items[ActorKey] = People.ActorOf(user, ClientAddress(context));
        if (!bearer && uid is null)
        {
            // An account an administrator has added since: the session now names the hub user (same sign-in time).
            await context.SignInAsync(CookieScheme, Session(issuer!, subject!, p.FindFirstValue(NameClaim), user.Id, signedInAt!.Value));
        }
    }

    /// <summary>Who the provider says this is: its subject, and the issuer that validated token came from (the claim's issuer when there is no <c>iss</c> claim).</summary>
    private static (string? Issuer, string? Subject) IssuerAndSubject(ClaimsPrincipal p)
    {
        var sub = p.FindFirst(SubjectClaim);
        return (p.FindFirstValue(SessionIssuerClaim) ?? p.FindFirstValue(IssuerClaim) ?? sub?.Issuer, sub?.Value);
    }

    private static async Task EndAsync(HttpContext context, bool signOut = true)
    {
        if (signOut)
        {
            await context.SignOutAsync(CookieScheme);
        }

        context.User = new ClaimsPrincipal(new ClaimsIdentity());
    }

    /// <summary>The cookie session's principal: issuer, subject, display name, the hub user once known, and when sign-in happened.</summary>
    internal static ClaimsPrincipal Session(string issuer, string subject, string? name, long? userId, DateTimeOffset signedInAt)
    {
        var claims = new List<Claim>
        {
            new(SessionIssuerClaim, issuer),
            new(SubjectClaim, subject),
            new(SignedInAtClaim, signedInAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        };
        if (name is not null)
        {
            claims.Add(new Claim(NameClaim, name));
        }

        if (userId is not null)
        {
            claims.Add(new Claim(UserIdClaim, userId.Value.ToString(CultureInfo.InvariantCulture)));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieScheme, NameClaim, null));
    }

    /// <summary>
    /// The address the audit records. Behind the Azure Functions host (custom-handler mode) the connection is the
    /// host's loopback proxy, so the last X-Forwarded-For entry — the one Azure's front end appended — is used;
    /// earlier entries are the client's own claims and are ignored.
    /// </summary>
    public static string? ClientAddress(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var remote = context.Connection.RemoteIpAddress;
        if (remote is not null && IPAddress.IsLoopback(remote) && HubApp.IsCustomHandler(context.RequestServices.GetRequiredService<IConfiguration>())
            && context.Request.Headers["X-Forwarded-For"].ToString() is { Length: > 0 } forwarded)
        {
            var last = forwarded.Split(',')[^1].Trim();
            return IPEndPoint.TryParse(last, out var ep) ? ep.Address.ToString() : IPAddress.TryParse(last, out var ip) ? ip.ToString() : null;
        }

        return remote?.ToString();
    }

    private static Task Refuse(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            return Refuse(ctx.HttpContext, status);
        }

        ctx.Response.Redirect(status == StatusCodes.Status401Unauthorized ? "/auth/login?returnUrl=" + Uri.EscapeDataString(ctx.Request.Path + ctx.Request.QueryString) : "/auth/no-access");
        return Task.CompletedTask;
    }

    internal static Task Refuse(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return (status == StatusCodes.Status401Unauthorized
            ? Problems.Unauthorized("Sign in first (GET /auth/login), or send a bearer token.")
            : Problems.Forbidden("Your account has no access to this.")).ExecuteAsync(context);
    }

    /// <summary>A redirect target after sign-in: this site's own paths only (never another host).</summary>
    internal static string LocalReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 1 } u && u[0] == '/' && u[1] is not ('/' or '\\') && !u.Contains("://", StringComparison.Ordinal) && !u.Contains('\\', StringComparison.Ordinal)
            ? u : "/console";

    internal static async Task<bool> ValidAntiforgeryAsync(HttpContext context) =>
        await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in refused by the hub: {Failure}")]
    private static partial void LogSignInRefused(ILogger logger, string failure);
}
