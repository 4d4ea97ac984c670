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
    public const string PlatformSecret = "platform-primary-secret-0f1e2d3c4b5a69788796a5b4";
    public const string PlatformSecondarySecret = "platform-secondary-secret-a1b2c3d4e5f60718293a4b5c";
    public const string OtherPlatformSecret = "other-platform-secret-00112233445566778899aabbcc";

    /// <summary>The hub's ES256 signing key in tests (made with OpenSSL).</summary>
    public const string SigningKeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9myA8jhX1p4EpRva
        a3zU6M/YqLxr5xXahpRDPql0Q16hRANCAAQJu/t5Wuc2UvSjn0PFbgFICG4H2cnB
        rrpfrtjBFsPXv2OF/Jn+2MstiY1T1qy5aVdWkOjeCkD0X0ELA3FKz+WY
        -----END PRIVATE KEY-----
        """;

    public static readonly string PseudonymKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 3)).ToArray());
    public static readonly string ContactKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 11 + 5)).ToArray());

    public static IEnumerable<string> All =>
        [TwilioAuthToken, GatewaySecret, GatewaySecondarySecret, PseudonymKey, ContactKey, MetaAppSecret, MetaVerifyToken, MetaPageToken, ZaloOaSecret, ZaloAppSecretKey,
         PlatformSecret, PlatformSecondarySecret, OtherPlatformSecret, "9myA8jhX1p4EpRva"];
}
