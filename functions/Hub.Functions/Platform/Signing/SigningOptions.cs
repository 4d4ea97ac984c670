using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Platform;

/// <summary>
/// <c>Hub:Signing</c>: the hub's ES256 keys for what it sends to platforms (<c>Keys:{keyId}</c> = PKCS#8 PEM,
/// from Key Vault on Azure). Several keys may be listed; <see cref="ActiveKeyId"/> signs, all are published.
/// </summary>
public sealed class SigningOptions
{
    public const string Section = "Hub:Signing";

    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

    public string? ActiveKeyId { get; set; }
}

internal sealed class SigningOptionsSetup(IConfiguration configuration) : IConfigureOptions<SigningOptions>, IValidateOptions<SigningOptions>
{
    public void Configure(SigningOptions options)
    {
        var section = configuration.GetSection(SigningOptions.Section);
        options.ActiveKeyId = section["ActiveKeyId"];
        foreach (var child in section.GetSection("Keys").GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(child.Value))
            {
                options.Keys[child.Key] = child.Value;
            }
        }
    }

    public ValidateOptionsResult Validate(string? name, SigningOptions options)
    {
        if (options.Keys.Count == 0)
        {
            return ValidateOptionsResult.Success; // takedowns are refused until a key is configured (Development makes one)
        }

        var errors = new List<string>();
        foreach (var (kid, pem) in options.Keys)
        {
            try
            {
                using var key = HubSigningKeys.Load(pem);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                errors.Add($"{SigningOptions.Section}:Keys:{kid} is not a P-256 private key in PEM ({ex.GetType().Name}).");
            }
        }

        if (options.ActiveKeyId is not { } active || !options.Keys.ContainsKey(active))
        {
            errors.Add($"{SigningOptions.Section}:ActiveKeyId must name one of the configured keys.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
