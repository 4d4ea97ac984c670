using Hub.Core.Envelope;
using Hub.Core.Taxonomy;

namespace Hub.Core.Platform;

/// <summary>What a platform report means in the hub's terms: taxonomy codes, urgency with reasons, the victim's age band.</summary>
public sealed record PlatformAssessment(IReadOnlyList<string> Categories, string Urgency, IReadOnlyList<string> Reasons, string? VictimAgeBand);

/// <summary>
/// Maps CyberTipline incident types, report annotations and file annotations onto the hub taxonomy
/// (docs/taxonomy.md#categories, whose NCMEC column this follows) and sets urgency. <c>escalateToHighPriority</c> is
/// CyberTipline's "a child may be in imminent danger", so it makes the report <c>immediate</c>.
/// </summary>
public static class PlatformMapping
{
    private static readonly Dictionary<string, (string Category, string Urgency)> IncidentTypes = new(StringComparer.Ordinal)
    {
        ["child-sexual-abuse-material"] = ("OCSEA.CSAM", Urgencies.High),
        ["child-sex-trafficking"] = ("EXPL.TRAFFICKING", Urgencies.High),
        ["child-sex-tourism"] = ("EXPL.SEXUAL_OFFLINE", Urgencies.High),
        ["child-sexual-molestation"] = ("VIOL.SEXUAL", Urgencies.High),
        ["misleading-domain-name"] = ("ONLINE.HARMFUL_CONTENT", Urgencies.Normal),
        ["misleading-words-or-images"] = ("ONLINE.HARMFUL_CONTENT", Urgencies.Normal),
        ["online-enticement"] = ("OCSEA.GROOMING", Urgencies.High),
        ["unsolicited-obscene-material-to-child"] = ("OCSEA.OBSCENE_TO_CHILD", Urgencies.Normal),
        ["cyberbullying"] = ("ONLINE.BULLYING", Urgencies.Normal),
        ["privacy-violation"] = ("ONLINE.PRIVACY", Urgencies.Normal),
        ["harmful-content"] = ("ONLINE.HARMFUL_CONTENT", Urgencies.Normal),
        ["self-harm"] = ("WELLBEING.SELF_HARM", Urgencies.High),
        ["fraud"] = ("ONLINE.FRAUD", Urgencies.Normal),
        ["other"] = ("OTHER", Urgencies.Normal),
    };

    private static readonly Dictionary<string, (string? Category, string Urgency)> Annotations = new(StringComparer.Ordinal)
    {
        ["sextortion"] = ("OCSEA.SEXTORTION", Urgencies.High),
        ["csam-solicitation"] = ("OCSEA.GROOMING", Urgencies.High),
        ["minor-to-minor-interaction"] = (null, Urgencies.Normal),
        ["spam"] = (null, Urgencies.Low),
    };

    private static readonly Dictionary<string, (string? Category, string Urgency)> FileTags = new(StringComparer.Ordinal)
    {
        ["possible-self-production"] = ("OCSEA.SELF_GENERATED", Urgencies.Normal),
        ["live-streaming"] = ("OCSEA.LIVESTREAM", Urgencies.High),
        ["generative-ai"] = (null, Urgencies.Normal),
        ["infant"] = (null, Urgencies.High),
        ["physical-harm"] = ("VIOL.PHYSICAL", Urgencies.High),
    };

    public static IReadOnlyCollection<string> IncidentTypeNames => IncidentTypes.Keys;

    public static PlatformAssessment Assess(PlatformReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var categories = new List<string>();
        var reasons = new List<string>();
        var urgency = Urgencies.Normal;

        void Raise(string? category, string level, string reason)
        {
            if (category is not null && !categories.Contains(category))
            {
                categories.Add(category);
            }

            if (!reasons.Contains(reason))
            {
                reasons.Add(reason);
            }

            urgency = Triage.Max(urgency, level);
        }

        if (IncidentTypes.TryGetValue(report.Incident.Type, out var type))
        {
            Raise(type.Category, type.Urgency, "platform:incident:" + report.Incident.Type);
        }

        foreach (var a in report.Incident.Annotations)
        {
            if (Annotations.TryGetValue(a, out var m))
            {
                Raise(m.Category, m.Urgency, "platform:annotation:" + a);
            }
        }

        foreach (var tag in report.Files.SelectMany(f => f.Tags).Distinct(StringComparer.Ordinal))
        {
            if (FileTags.TryGetValue(tag, out var m))
            {
                Raise(m.Category, m.Urgency, "platform:file:" + tag);
            }
        }

        if (urgency == Urgencies.Normal && report.Incident.Annotations.Contains("spam", StringComparer.Ordinal))
        {
            urgency = Urgencies.Low; // "spam" lowers a report only when nothing else raised it
        }

        if (!string.IsNullOrWhiteSpace(report.Incident.EscalateToHighPriority))
        {
            urgency = Urgencies.Immediate;
            reasons.Add("platform:escalated");
        }

        return new PlatformAssessment(categories, urgency, reasons, AgeBand(report.Victim));
    }

    /// <summary>The band of the estimate's midpoint (the envelope's bands: under-10, 10-13, 14-15, 16-17, adult).</summary>
    public static string? AgeBand(PlatformVictim? victim)
    {
        if (victim is null || (victim.EstimatedAgeMin is null && victim.EstimatedAgeMax is null))
        {
            return null;
        }

        var min = victim.EstimatedAgeMin ?? victim.EstimatedAgeMax!.Value;
        var max = victim.EstimatedAgeMax ?? min;
        var mid = (min + max) / 2.0;
        return mid switch
        {
            < 10 => "under-10",
            < 14 => "10-13",
            < 16 => "14-15",
            < 18 => "16-17",
            _ => "adult",
        };
    }

    /// <summary>Checks the schema cannot express, keyed by JSON path like the schema's own errors.</summary>
    public static Dictionary<string, string[]> SemanticErrors(PlatformReport report, DateTimeOffset now, string basePath = "$")
    {
        ArgumentNullException.ThrowIfNull(report);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var skew = TimeSpan.FromMinutes(10);
        if (report.Victim is { EstimatedAgeMin: { } lo, EstimatedAgeMax: { } hi } && lo > hi)
        {
            errors[$"{basePath}.victim.estimatedAgeMax"] = ["must not be less than estimatedAgeMin"];
        }

        if (report.Incident.OccurredAt > now + skew)
        {
            errors[$"{basePath}.incident.occurredAt"] = ["is in the future"];
        }

        for (var i = 0; i < report.ActionsTaken.Count; i++)
        {
            if (report.ActionsTaken[i].At > now + skew)
            {
                errors[$"{basePath}.actionsTaken[{i}].at"] = ["is in the future"];
            }
        }

        return errors;
    }
}
