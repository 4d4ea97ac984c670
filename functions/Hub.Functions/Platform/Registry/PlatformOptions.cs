using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Platform;

/// <summary>
/// One platform allowed to call the auto-report API, <c>Hub:Platforms:{platformId}</c> (or registered with
/// <c>platform register</c>, which keeps the secret sealed in the <c>platforms</c> table).
/// </summary>
public sealed class PlatformOptions
{
    /// <summary>HMAC key for <c>X-Hub-Signature</c>; at least 32 characters (the admin command makes 43).</summary>
    public string? Secret { get; set; }

    /// <summary>Also accepted, so the platform can switch to a new secret without downtime.</summary>
    public string? SecondarySecret { get; set; }

    /// <summary>Where the hub POSTs takedown requests (https; http only to loopback, for tests).</summary>
    public string? CallbackUrl { get; set; }

    /// <summary>Reports per minute (a batch counts each item). Bursts of up to one minute's worth, and at least one full batch, pass.</summary>
    public int RatePerMinute { get; set; } = 600;

    /// <summary>Hashes looked up or contributed per minute (docs/platform-api.md#hashes); bursts of a minute's worth, and at least one full request of 1,000, pass.</summary>
    public int HashesPerMinute { get; set; } = 60_000;

    public IReadOnlyList<string> Secrets() => [Secret ?? string.Empty, SecondarySecret ?? string.Empty];
}

/// <summary><c>Hub:Platforms</c>: the configured platforms by id.</summary>
public sealed class PlatformsOptions
{
    public const string Section = "Hub:Platforms";

    public Dictionary<string, PlatformOptions> Instances { get; } = new(StringComparer.Ordinal);
}

/// <summary><c>Hub:PlatformApi</c>: limits and the takedown delivery policy.</summary>
public sealed class PlatformApiOptions
{
    public const string Section = "Hub:PlatformApi";

    public int MaxReportBytes { get; set; } = 256 * 1024;

    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>A hash lookup, contribution or vote request (1,000 hashes with their labels fit in well under this).</summary>
    public int MaxHashBytes { get; set; } = 512 * 1024;

    /// <summary>In-call retries of one takedown delivery (429, 5xx, transport errors) before the queue's own backoff takes over.</summary>
    public int CallbackRetries { get; set; } = 2;

    public TimeSpan CallbackRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan CallbackTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a platform registered in the table is cached (also how long a new registration takes to be seen).</summary>
    public TimeSpan RegistryCacheTime { get; set; } = TimeSpan.FromSeconds(30);
}

public static partial class PlatformIds
{
    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    /// <summary>A fresh 256-bit secret, base64url (43 characters).</summary>
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

internal sealed class PlatformsOptionsSetup(IConfiguration configuration) : IConfigureOptions<PlatformsOptions>, IValidateOptions<PlatformsOptions>
{
    public const int MinSecretLength = 32;

    public void Configure(PlatformsOptions options)
    {
        foreach (var child in configuration.GetSection(PlatformsOptions.Section).GetChildren())
        {
            var o = new PlatformOptions();
            child.Bind(o);
            options.Instances[child.Key] = o;
        }
    }

    public ValidateOptionsResult Validate(string? name, PlatformsOptions options)
    {
        var errors = new List<string>();
        foreach (var (id, o) in options.Instances)
        {
            errors.AddRange(Check(id, o, $"{PlatformsOptions.Section}:{id}"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static IEnumerable<string> Check(string id, PlatformOptions o, string at)
    {
        if (!PlatformIds.IsValid(id))
        {
            yield return $"{at}: a platform id is 2-32 lowercase letters, digits and '-'.";
        }

        if (string.IsNullOrWhiteSpace(o.Secret) || o.Secret.Length < MinSecretLength)
        {
            yield return $"{at}:Secret is required and must be at least {MinSecretLength} characters (use 'platform secret' to make one).";
        }

        if (!string.IsNullOrEmpty(o.SecondarySecret) && o.SecondarySecret.Length < MinSecretLength)
        {
            yield return $"{at}:SecondarySecret must be at least {MinSecretLength} characters.";
        }

        if (o.CallbackUrl is { Length: > 0 } url && !IsAcceptableCallback(url))
        {
            yield return $"{at}:CallbackUrl must be an absolute https URL (http only to loopback).";
        }

        if (o.RatePerMinute is < 1 or > 1_000_000)
        {
            yield return $"{at}:RatePerMinute must be between 1 and 1,000,000.";
        }

        if (o.HashesPerMinute is < 1 or > 10_000_000)
        {
            yield return $"{at}:HashesPerMinute must be between 1 and 10,000,000.";
        }
    }

    internal static bool IsAcceptableCallback(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u)
        && (u.Scheme == Uri.UriSchemeHttps || (u.Scheme == Uri.UriSchemeHttp && u.IsLoopback));
}
