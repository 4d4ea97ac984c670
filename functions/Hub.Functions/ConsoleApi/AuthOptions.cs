using System.ComponentModel.DataAnnotations;

namespace Hub.Functions.ConsoleApi;

/// <summary>
/// Staff sign-in (<c>Hub:Auth</c>): any OpenID Connect provider (docs/console-api.md has the Microsoft Entra ID
/// steps). Without an <see cref="Authority"/> nobody signs in — except, in Development only, as a demo user at
/// <c>/auth/dev</c>. The provider proves who someone is; the hub's own users table decides what they may do.
/// </summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Hub:Auth";

    /// <summary>The provider's issuer URL (its <c>/.well-known/openid-configuration</c> is read from there).</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>A Key Vault reference on Azure; never logged.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>What the browser sign-in asks for, space-separated; <c>openid</c> is always asked.</summary>
    public string Scopes { get; set; } = "openid profile";

    /// <summary>
    /// The audience machine clients' bearer tokens must carry (an agency's system, client-credentials grant); for
    /// Entra ID the API's application ID URI. Unset: bearer tokens are refused.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>Plain-HTTP metadata is for an identity provider on this machine (tests) only.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>A session unused this long ends (sliding).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session ends this long after sign-in, however busy.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Sign-in requests (<c>/auth/*</c>) one client address may make per minute.</summary>
    [Range(1, 10_000)]
    public int SignInPermitsPerMinute { get; set; } = 30;

    /// <summary>How long <c>GET /events</c> waits for a change before answering an empty page (the Functions proxy allows far longer).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan EventsWait { get; set; } = TimeSpan.FromSeconds(25);

    public bool OidcConfigured => !string.IsNullOrWhiteSpace(Authority);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (OidcConfigured && string.IsNullOrWhiteSpace(ClientId))
        {
            yield return new ValidationResult("Hub:Auth:ClientId is required with Hub:Auth:Authority", [nameof(ClientId)]);
        }

        if (OidcConfigured && !Uri.TryCreate(Authority, UriKind.Absolute, out _))
        {
            yield return new ValidationResult("Hub:Auth:Authority must be an absolute URL", [nameof(Authority)]);
        }

        if (AbsoluteTimeout < IdleTimeout)
        {
            yield return new ValidationResult("Hub:Auth:AbsoluteTimeout must not be shorter than IdleTimeout", [nameof(AbsoluteTimeout)]);
        }
    }
}
