using System.Globalization;
using System.Security.Cryptography;
using Hub.Core.Signatures;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Platform;

/// <summary>
/// The hub's ES256 keys (<see cref="SigningOptions"/>): signs takedown requests with the active key and
/// publishes every key's public half as a JWK set. In Development with no key configured, one is generated
/// per process (published the same way), so the takedown loop runs locally without setup.
/// </summary>
public sealed partial class HubSigningKeys : IDisposable
{
    private readonly Dictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);
    private readonly string? _active;

    public HubSigningKeys(IOptions<SigningOptions> options, IHostEnvironment environment, ILogger<HubSigningKeys> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        foreach (var (kid, pem) in options.Value.Keys)
        {
            _keys[kid] = Load(pem);
        }

        _active = options.Value.ActiveKeyId;
        if (_keys.Count == 0 && environment.IsDevelopment())
        {
            _active = "dev-" + TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            _keys[_active] = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            LogEphemeral(logger, _active);
        }
    }

    public bool CanSign => _active is not null && _keys.ContainsKey(_active);

    public string ActiveKeyId => CanSign ? _active! : throw new InvalidOperationException("No signing key: set Hub:Signing:Keys and Hub:Signing:ActiveKeyId.");

    public string Sign(string timestamp, ReadOnlySpan<byte> body) => HubCallbackSignature.Sign(_keys[ActiveKeyId], timestamp, body);

    public JwkSet Published() => new(_keys.Select(k => HubCallbackSignature.ToJwk(k.Value, k.Key)).ToList());

    /// <summary>A PKCS#8 (or SEC1) PEM private key on P-256.</summary>
    public static ECDsa Load(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem.Replace("\\n", "\n", StringComparison.Ordinal));
            if (key.KeySize != 256)
            {
                throw new ArgumentException("not a P-256 key", nameof(pem));
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A fresh P-256 key as PKCS#8 PEM (the <c>platform keygen</c> command).</summary>
    public static string NewPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    public void Dispose()
    {
        foreach (var k in _keys.Values)
        {
            k.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Development: no Hub:Signing key configured; generated ephemeral ES256 key {KeyId} for takedown requests (published at /api/platform/v1/signing-keys)")]
    private static partial void LogEphemeral(ILogger logger, string keyId);
}
