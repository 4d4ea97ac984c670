namespace Hub.Functions.Tests.Infrastructure;

/// <summary>Every secret the test hub is configured with; the log tests assert none of them is ever printed.</summary>
public static class TestSecrets
{
    public const string TwilioAuthToken = "tw-auth-token-7f3a9c1e5b";
    public const string TwilioAccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string GatewaySecret = "gw-primary-secret-41d8cd98";
    public const string GatewaySecondarySecret = "gw-secondary-secret-99e3a2b1";
    public const string MetaAppSecret = "meta-app-secret-5c2e8f01";
    public const string MetaVerifyToken = "meta-verify-token-a1b2c3";
    public const string MetaPageToken = "meta-page-token-EAAG77d1";
    public const string ZaloOaSecret = "zalo-oa-secret-9d8c7b6a";
    public const string ZaloAppSecretKey = "zalo-app-secret-key-3e4f";
    public static readonly string PseudonymKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 3)).ToArray());
    public static readonly string ContactKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 11 + 5)).ToArray());

    public static IEnumerable<string> All =>
        [TwilioAuthToken, GatewaySecret, GatewaySecondarySecret, PseudonymKey, ContactKey, MetaAppSecret, MetaVerifyToken, MetaPageToken, ZaloOaSecret, ZaloAppSecretKey];
}
