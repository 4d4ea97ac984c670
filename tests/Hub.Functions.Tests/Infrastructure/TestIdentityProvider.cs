using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>How the identity provider misbehaves for the next tokens it issues (each must be refused by the hub).</summary>
public enum IdpFault
{
    None,
    WrongIssuer,
    WrongAudience,
    Expired,
    BadSignature,
}

/// <summary>
/// A small OpenID Connect provider on a loopback port of its own (Kestrel), speaking the standard protocol the
/// hub's OpenIdConnect and JwtBearer handlers use: discovery, JWKS, an authorization endpoint that signs in the
/// <c>login_hint</c> subject at once, and a token endpoint with PKCE (S256), one-time codes, client secrets and
/// the client-credentials grant. Written for the tests rather than OpenIddict so each fault the hub must refuse
/// (wrong issuer or audience, expiry, a forged signature, a replayed code) is one switch.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "hub-console";
    public const string ClientSecret = "test-client-secret-7b1d";
    public const string ApiAudience = "api://hub-console";
    public const string MachineClientId = "agency-a05-system";
    public const string MachineClientSecret = "test-machine-secret-41c9";

    private readonly WebApplication _app;
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "k1" };
    private readonly RsaSecurityKey _otherKey = new(RSA.Create(2048)) { KeyId = "k1" };
    private readonly ConcurrentDictionary<string, PendingCode> _codes = new(StringComparer.Ordinal);

    private sealed record PendingCode(string Subject, string Nonce, string Challenge, string RedirectUri);

    private TestIdentityProvider(WebApplication app) => _app = app;

    public string Issuer { get; private set; } = string.Empty;

    public IdpFault Fault { get; set; }

    /// <summary>How many times the token endpoint refused a code it had already redeemed.</summary>
    public int ReplayedCodes => _replayed;

    private int _replayed;

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var idp = new TestIdentityProvider(app);
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = idp.Issuer,
            ["authorization_endpoint"] = idp.Issuer + "/authorize",
            ["token_endpoint"] = idp.Issuer + "/token",
            ["jwks_uri"] = idp.Issuer + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["grant_types_supported"] = new[] { "authorization_code", "client_credentials" },
        }));
        app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(idp._key.Rsa.ExportParameters(false)) { KeyId = idp._key.KeyId });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        app.MapGet("/authorize", (Func<HttpContext, IResult>)idp.Authorize);
        app.MapPost("/token", (Func<HttpContext, Task<IResult>>)idp.TokenAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        idp.Issuer = address.TrimEnd('/');
        return idp;
    }

    private IResult Authorize(HttpContext context)
    {
        var q = context.Request.Query;
        if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256" || string.IsNullOrEmpty(q["code_challenge"]) || string.IsNullOrEmpty(q["login_hint"]))
        {
            return Results.BadRequest("invalid_request");
        }

        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        _codes[code] = new PendingCode(q["login_hint"]!, q["nonce"]!, q["code_challenge"]!, q["redirect_uri"]!);
        return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"]!)}&iss={Uri.EscapeDataString(Issuer)}");
    }

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        if (form["grant_type"] == "client_credentials")
        {
            return form["client_id"] == MachineClientId && form["client_secret"] == MachineClientSecret
                ? Results.Json(new { access_token = Token(MachineClientId, null, ApiAudience), token_type = "Bearer", expires_in = 3600 })
                : Results.Json(new { error = "invalid_client" }, statusCode: 401);
        }

        if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
        {
            return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        }

        // One use per code (RFC 6749 §4.1.2): a second redemption is refused.
        if (!_codes.TryRemove(form["code"].ToString(), out var pending))
        {
            Interlocked.Increment(ref _replayed);
            return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        }

        var verifier = form["code_verifier"].ToString();
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        if (challenge != pending.Challenge || form["redirect_uri"] != pending.RedirectUri)
        {
            return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        }

        return Results.Json(new { id_token = Token(pending.Subject, pending.Nonce, ClientId), access_token = "opaque", token_type = "Bearer", expires_in = 3600 });
    }

    /// <summary>A client-credentials access token for the machine client (what an agency's system would send).</summary>
    public string MachineToken() => Token(MachineClientId, null, ApiAudience);

    private string Token(string subject, string? nonce, string audience)
    {
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["name"] = "Người dùng " + subject };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        var expired = Fault == IdpFault.Expired;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Fault == IdpFault.WrongIssuer ? "https://login.attacker.example" : Issuer,
            Audience = Fault == IdpFault.WrongAudience ? "someone-else" : audience,
            Claims = claims,
            IssuedAt = expired ? now.AddHours(-3) : now,
            NotBefore = expired ? now.AddHours(-3) : now.AddSeconds(-5),
            Expires = expired ? now.AddHours(-2) : now.AddHours(1),
            SigningCredentials = new SigningCredentials(Fault == IdpFault.BadSignature ? _otherKey : _key, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Rsa.Dispose();
        _otherKey.Rsa.Dispose();
    }
}
