using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Channels.Zalo;

/// <summary>
/// Zalo OA access tokens (docs/protocols/zalo.md#tokens). The refresh token is <b>single use</b>: every refresh returns a
/// new one and a lost one means re-authorising the OA by hand. So refreshing is claimed first: an instance
/// writes a short claim into the token row with an ETag-conditional update; only the claimant calls Zalo, and
/// it writes the new pair (sealed) over its own claim, again ETag-conditional, before using it. Everyone else
/// waits for the row to change. Two hub instances refreshing at once therefore make one call, and neither
/// can overwrite the newer pair with an older one.
/// </summary>
public sealed partial class ZaloTokens(HubStorage storage, PrivacyServices privacy, IHttpClientFactory http, IOptions<HubOptions> options, TimeProvider time, ILogger<ZaloTokens> logger)
{
    public const string TableName = "zalotokens";

    public const string HttpClientName = "zalo-oauth";
    private const string Row = "token";
    private static readonly TimeSpan ClaimFor = TimeSpan.FromSeconds(30);

    /// <summary>A usable access token, refreshed first when it is within the refresh margin of expiry.</summary>
    public async Task<string> GetAccessTokenAsync(string instance, ChannelOptions o, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(o);
        var row = await ReadOrSeedAsync(instance, o, ct);
        if (row.AccessToken is { } token && row.ExpiresAt - time.GetUtcNow() > options.Value.Bots.TokenRefreshMargin)
        {
            return token;
        }

        return await RefreshAsync(instance, o, row.AccessToken, ct);
    }

    /// <summary>
    /// Refreshes unless someone already replaced <paramref name="staleAccessToken"/> (null: refresh regardless of
    /// the current token's age). Returns the access token to use.
    /// </summary>
    public async Task<string> RefreshAsync(string instance, ChannelOptions o, string? staleAccessToken, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(o);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var row = await ReadOrSeedAsync(instance, o, ct);
            var now = time.GetUtcNow();
            if (row.AccessToken is { } current && current != staleAccessToken && row.ExpiresAt > now)
            {
                return current; // another instance (or an earlier attempt) already refreshed
            }

            if (row.ClaimedUntil > now)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
                continue;
            }

            // Claim the refresh; losing this race (412) means someone else is refreshing: wait for them.
            var claim = new TableEntity(TableKeys.Escape(instance), Row) { ["ClaimedUntil"] = now + ClaimFor };
            ETag claimed;
            try
            {
                claimed = (await storage.Table(TableName).UpdateEntityAsync(claim, row.ETag, TableUpdateMode.Merge, ct)).Headers.ETag!.Value;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                continue;
            }

            if (row.RefreshToken is null)
            {
                throw new InvalidOperationException($"Zalo instance {instance} has no refresh token: re-authorise the OA.");
            }

            var fresh = await CallRefreshAsync(o, row.RefreshToken, ct);
            var updated = Entity(instance, fresh.AccessToken, fresh.RefreshToken, now + fresh.ExpiresIn);
            try
            {
                await storage.Table(TableName).UpdateEntityAsync(updated, claimed, TableUpdateMode.Replace, ct);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Our claim expired and someone else wrote meanwhile; but we hold the newest pair (our refresh
                // consumed the previous token), so it must win: losing it would strand the OA.
                await storage.Table(TableName).UpsertEntityAsync(updated, TableUpdateMode.Replace, ct);
                LogClaimLost(logger, instance);
            }

            LogRefreshed(logger, instance, fresh.ExpiresIn.TotalHours);
            return fresh.AccessToken;
        }

        throw new TimeoutException($"Zalo token refresh for {instance} did not complete.");
    }

    private async Task<TokenRow> ReadOrSeedAsync(string instance, ChannelOptions o, CancellationToken ct)
    {
        await storage.EnsureCreatedAsync(ct);
        var pk = TableKeys.Escape(instance);
        var found = await storage.Table(TableName).GetEntityIfExistsAsync<TableEntity>(pk, Row, cancellationToken: ct);
        if (!found.HasValue || found.Value is not { } e)
        {
            // First use: seed from configuration. An access token of unknown age is treated as due for refresh
            // soon; if another instance seeds first, its row stands (409).
            var expires = string.IsNullOrEmpty(o.AccessToken) ? DateTimeOffset.UnixEpoch : time.GetUtcNow() + options.Value.Bots.TokenRefreshMargin + TimeSpan.FromMinutes(30);
            try
            {
                await storage.Table(TableName).AddEntityAsync(Entity(instance, o.AccessToken, o.RefreshToken, expires), ct);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
            }

            e = (await storage.Table(TableName).GetEntityAsync<TableEntity>(pk, Row, cancellationToken: ct)).Value;
        }

        return new TokenRow(
            Unseal(e.GetString("AccessToken"), instance),
            Unseal(e.GetString("RefreshToken"), instance),
            e.GetDateTimeOffset("ExpiresAt") ?? DateTimeOffset.UnixEpoch,
            e.GetDateTimeOffset("ClaimedUntil") ?? DateTimeOffset.UnixEpoch,
            e.ETag);
    }

    private async Task<(string AccessToken, string RefreshToken, TimeSpan ExpiresIn)> CallRefreshAsync(ChannelOptions o, string refreshToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{o.ZaloOAuthBaseUrl.TrimEnd('/')}/v4/oa/access_token"))
        {
            Content = new FormUrlEncodedContent([new("refresh_token", refreshToken), new("app_id", o.AppId!), new("grant_type", "refresh_token")]),
        };
        request.Headers.TryAddWithoutValidation("secret_key", o.AppSecretKey);
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (!response.IsSuccessStatusCode || !root.TryGetProperty("access_token", out var at) || !root.TryGetProperty("refresh_token", out var rt))
        {
            var code = root.TryGetProperty("error", out var err) ? err.ToString() : ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            throw new Chat.ChatSendException($"Zalo token refresh failed (error {code}); the OA may need re-authorising.");
        }

        // Trust expires_in over the documented 25 h; Zalo sends it as a string.
        var expiresIn = root.TryGetProperty("expires_in", out var ei) && double.TryParse(ei.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromHours(1);
        return (at.GetString()!, rt.GetString()!, expiresIn);
    }

    private TableEntity Entity(string instance, string? accessToken, string? refreshToken, DateTimeOffset expiresAt) => new(TableKeys.Escape(instance), Row)
    {
        ["AccessToken"] = accessToken is null ? null : privacy.Cipher.Protect(accessToken, Purpose(instance)),
        ["RefreshToken"] = refreshToken is null ? null : privacy.Cipher.Protect(refreshToken, Purpose(instance)),
        ["ExpiresAt"] = expiresAt,
        ["ClaimedUntil"] = DateTimeOffset.UnixEpoch,
    };

    private string? Unseal(string? value, string instance) => value is null ? null : privacy.Cipher.Unprotect(value, Purpose(instance));

    private static string Purpose(string instance) => $"{TableName}/{instance}";

    private sealed record TokenRow(string? AccessToken, string? RefreshToken, DateTimeOffset ExpiresAt, DateTimeOffset ClaimedUntil, ETag ETag);

    [LoggerMessage(Level = LogLevel.Information, Message = "Zalo tokens for {Instance} refreshed; access token valid {Hours:F1} h")]
    private static partial void LogRefreshed(ILogger logger, string instance, double hours);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zalo token refresh for {Instance} outlived its claim; the new pair was written unconditionally")]
    private static partial void LogClaimLost(ILogger logger, string instance);
}
