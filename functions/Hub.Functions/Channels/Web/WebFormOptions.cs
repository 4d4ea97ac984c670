using System.ComponentModel.DataAnnotations;

namespace Hub.Functions.Channels.Web;

/// <summary><c>Hub:WebForm</c>: which web channel instance the public form reports through, and its guards.</summary>
public sealed class WebFormOptions
{
    public const string Section = "Hub:WebForm";

    /// <summary>The <c>Hub:Channels:{instance}</c> of type <c>web</c> the form uses; empty: the only one configured.</summary>
    public string? Instance { get; set; }

    /// <summary>A form sent sooner than this after it was served is a bot's (a person reads the page first); shown back to try again.</summary>
    public TimeSpan MinFillTime { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a served form can be sent: a child may take a long time to write; after this the page asks to send again.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Reports one client (a pseudonym of its address) may send per <see cref="SubmitWindow"/>: a school's shared address must still fit.</summary>
    [Range(1, 100_000)]
    public int SubmitsPerWindow { get; set; } = 30;

    public TimeSpan SubmitWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Status lookups one client may make per <see cref="StatusWindow"/>: what makes guessing a secret hopeless.</summary>
    [Range(1, 100_000)]
    public int StatusLookupsPerWindow { get; set; } = 10;

    public TimeSpan StatusWindow { get; set; } = TimeSpan.FromMinutes(15);
}
