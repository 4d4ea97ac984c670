using System.Security.Cryptography;
using System.Text;
using Hub.Core.Privacy;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Privacy;

/// <summary>
/// <c>Hub:Privacy</c>: the pseudonym key and the contact key ring (base64, 32 bytes each). Outside
/// Development the hub refuses to start without them; in Development it derives fixed development keys
/// so the run command needs no setup (those keys protect nothing and are named as such in the README).
/// </summary>
public sealed class PrivacyOptions
{
    public const string Section = "Hub:Privacy";

    public string? PseudonymKey { get; set; }

    public Dictionary<string, string> ContactKeys { get; set; } = new(StringComparer.Ordinal);

    public string? ActiveContactKeyId { get; set; }

    internal static byte[] DevelopmentKey(string purpose) =>
        SHA256.HashData(Encoding.UTF8.GetBytes("hub-development-only-key/" + purpose));

    internal static byte[]? Decode(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

internal sealed class PrivacyOptionsSetup(IHostEnvironment environment) : IPostConfigureOptions<PrivacyOptions>, IValidateOptions<PrivacyOptions>
{
    public void PostConfigure(string? name, PrivacyOptions options)
    {
        if (!environment.IsDevelopment())
        {
            return;
        }

        options.PseudonymKey ??= Convert.ToBase64String(PrivacyOptions.DevelopmentKey("pseudonym"));
        if (options.ContactKeys.Count == 0)
        {
            options.ContactKeys["dev1"] = Convert.ToBase64String(PrivacyOptions.DevelopmentKey("contact"));
            options.ActiveContactKeyId ??= "dev1";
        }
    }

    public ValidateOptionsResult Validate(string? name, PrivacyOptions options)
    {
        var errors = new List<string>();
        if (PrivacyOptions.Decode(options.PseudonymKey) is not { Length: >= 32 })
        {
            errors.Add("Hub:Privacy:PseudonymKey must be set to at least 32 random bytes in base64.");
        }

        if (options.ContactKeys.Count == 0)
        {
            errors.Add("Hub:Privacy:ContactKeys must hold at least one key (Hub:Privacy:ContactKeys:{keyId} = 32 bytes base64).");
        }

        foreach (var (id, value) in options.ContactKeys)
        {
            if (PrivacyOptions.Decode(value) is not { Length: 32 })
            {
                errors.Add($"Hub:Privacy:ContactKeys:{id} must be exactly 32 bytes in base64.");
            }
        }

        if (options.ActiveContactKeyId is null || !options.ContactKeys.ContainsKey(options.ActiveContactKeyId))
        {
            errors.Add("Hub:Privacy:ActiveContactKeyId must name one of Hub:Privacy:ContactKeys.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The privacy primitives built from validated options: one instance for the app's lifetime.</summary>
public sealed class PrivacyServices(IOptions<PrivacyOptions> options)
{
    public const string ContactPurpose = "contact";

    public Pseudonymizer Pseudonymizer { get; } = new(PrivacyOptions.Decode(options.Value.PseudonymKey)!);

    public ContactCipher Cipher { get; } = new(
        options.Value.ContactKeys.ToDictionary(k => k.Key, k => PrivacyOptions.Decode(k.Value)!, StringComparer.Ordinal),
        options.Value.ActiveContactKeyId!);
}
