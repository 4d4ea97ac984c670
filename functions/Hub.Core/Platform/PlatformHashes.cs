using System.Text.Json.Serialization;

namespace Hub.Core.Platform;

/// <summary>The platform hash API's limits (docs/platform-api.md#hashes).</summary>
public static class PlatformHashLimits
{
    /// <summary>Hashes in one lookup or one contribution.</summary>
    public const int MaxHashes = 1000;

    /// <summary>Votes in one request.</summary>
    public const int MaxVotes = 100;

    /// <summary>Below this PDQ quality a hash is neither matched nor accepted into a bank (Meta's recommended floor).</summary>
    public const int MinPdqQuality = 50;

    public const int MaxClassification = 100;

    public const int MaxReference = 200;

    public const int MaxReason = 500;
}

/// <summary>One hash to add to the platform's bank.</summary>
public sealed record HashContribution(string Type, string Value, string Classification, int? Quality, string? Ref);

/// <summary>One hash to look up.</summary>
public sealed record HashLookup(string Type, string Value, int? Quality);

/// <summary>One true- or false-positive verdict on a bank entry a lookup returned.</summary>
public sealed record HashVote(long Entry, string Verdict, string Reason);

public sealed record HashContributionItem(int Index, long Entry, string Status);

/// <summary>The answer to a contribution: the platform's bank, and each hash's entry (<c>added</c> or <c>existing</c>).</summary>
public sealed record HashContributionResult(string Bank, int Added, int Existing, IReadOnlyList<HashContributionItem> Entries);

/// <summary>A bank entry a hash matched: no case, no report, no media, only what the bank says about the hash.</summary>
public sealed record HashMatchView(long Entry, string Bank, string Classification, string Type, int Distance);

/// <summary>One looked-up hash: its matches (closest first), or why it was not looked up (<c>low-quality</c>).</summary>
public sealed record HashLookupResult(int Index, IReadOnlyList<HashMatchView> Matches, string? Skipped = null);

public sealed record HashMatchResult(IReadOnlyList<HashLookupResult> Results);

public sealed record HashVoteResult(int Recorded);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HashContributionResult))]
[JsonSerializable(typeof(HashMatchResult))]
[JsonSerializable(typeof(HashVoteResult))]
public sealed partial class PlatformHashJsonContext : JsonSerializerContext;
