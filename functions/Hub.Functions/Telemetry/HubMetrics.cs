using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hub.Functions.Telemetry;

/// <summary>
/// The hub's own metrics (docs/observability.md): one <see cref="Meter"/> per host, made by the host's
/// <see cref="IMeterFactory"/>. Names and units are the ones in <see cref="MetricNames"/>; the alert rules in
/// <c>infra-bicep/modules/alerts.bicep</c> name only these (a deploy test checks it). Attributes are channel types,
/// configured instance names, queue names, status classes, teams and urgencies: never a person, a text or an id.
/// </summary>
public sealed class HubMetrics
{
    public HubMetrics(IMeterFactory meters, TelemetrySnapshot snapshot, string meterName = HubTelemetry.Name)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(snapshot);
        Meter = meters.Create(meterName);
        WebhookRequests = Meter.CreateCounter<long>(MetricNames.WebhookRequests, "{request}", "Provider and platform requests answered, by channel, status class and status.");
        WebhookDuration = Meter.CreateHistogram<double>(MetricNames.WebhookDuration, "s", "Time to answer a provider or platform request.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] });
        SignatureRefused = Meter.CreateCounter<long>(MetricNames.SignatureRefused, "{request}", "Requests refused because a signature or credential was missing, wrong or replayed (401/403).");
        Accepted = Meter.CreateCounter<long>(MetricNames.Accepted, "{report}", "Reports acknowledged, by report channel (sms, chat, voice, web, platform) and where they were durable first (storage or the local spool).");
        Poisoned = Meter.CreateCounter<long>(MetricNames.Poisoned, "{message}", "Messages moved to a poison queue.");
        Processed = Meter.CreateCounter<long>(MetricNames.Processed, "{message}", "Queue messages handled, by queue and outcome (succeeded, failed, poisoned, held_back).");
        ProcessorFailures = Meter.CreateCounter<long>(MetricNames.ProcessorFailures, "{message}", "Failed attempts at a queue message, by queue and kind (the exception's type).");
        ProcessorDuration = Meter.CreateHistogram<double>(MetricNames.ProcessorDuration, "s", "Time to handle one queue message.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30] });

        // Gauges read the last sample (TelemetrySampler): a scrape never waits on storage or the case store.
        Meter.CreateObservableGauge(MetricNames.SpoolPendingBytes, () => snapshot.Spool is { } s ? [new Measurement<long>(s.PendingBytes)] : Array.Empty<Measurement<long>>(), "By", "Bytes in the standalone spool waiting for the relay.");
        Meter.CreateObservableGauge(MetricNames.SpoolPendingRecords, () => snapshot.Spool is { } s ? [new Measurement<long>(s.PendingRecords)] : Array.Empty<Measurement<long>>(), "{record}", "Records in the standalone spool waiting for the relay.");
        Meter.CreateObservableGauge(MetricNames.SpoolHeldRecords, () => snapshot.Spool is { } s ? [new Measurement<long>(s.HeldRecords)] : Array.Empty<Measurement<long>>(), "{record}", "Spool records held for an operator (never written).");
        Meter.CreateObservableGauge(MetricNames.QueueDepth, () => snapshot.Queues.Select(q => new Measurement<long>(q.Depth, new KeyValuePair<string, object?>("queue", q.Queue))), "{message}", "Messages in a queue (approximate, as Azure Storage reports it).");
        Meter.CreateObservableGauge(MetricNames.QueueOldestAge, () => snapshot.Queues.Select(q => new Measurement<double>(q.OldestAgeSeconds, new KeyValuePair<string, object?>("queue", q.Queue))), "s", "Age of the oldest visible message in a queue (0 when empty).");
        Meter.CreateObservableGauge(MetricNames.PoisonDepth, () => snapshot.Queues.Select(q => new Measurement<long>(q.PoisonDepth, new KeyValuePair<string, object?>("queue", q.Queue))), "{message}", "Messages in a queue's poison queue: each is a report or an action nobody has handled.");
        Meter.CreateObservableGauge(MetricNames.CasesOverdue, () => snapshot.Overdue.Select(o => new Measurement<long>(o.Count, new("team", o.Team), new("urgency", o.Urgency), new("clock", o.Clock))), "{case}", "Open cases past a clock now, by team, urgency and clock (first_response or intervention).");
        Meter.CreateObservableGauge(MetricNames.ChatsWaiting, () => snapshot.Chats is { } c ? [new Measurement<long>(c.Waiting)] : Array.Empty<Measurement<long>>(), "{conversation}", "Chats a bot handed over that no person has taken yet.");
        Meter.CreateObservableGauge(MetricNames.ChatsLongestWait, () => snapshot.Chats is { } c ? [new Measurement<double>(c.LongestWaitSeconds)] : Array.Empty<Measurement<double>>(), "s", "The longest wait of a handed-over chat for a person.");
        Meter.CreateObservableGauge(MetricNames.HashIndexSize, () => snapshot.HashIndexSize is { } n ? [new Measurement<long>(n)] : Array.Empty<Measurement<long>>(), "{hash}", "PDQ hashes in the matcher's in-memory index.");
    }

    public Meter Meter { get; }

    public Counter<long> WebhookRequests { get; }

    public Histogram<double> WebhookDuration { get; }

    public Counter<long> SignatureRefused { get; }

    public Counter<long> Accepted { get; }

    public Counter<long> Poisoned { get; }

    public Counter<long> Processed { get; }

    public Counter<long> ProcessorFailures { get; }

    public Histogram<double> ProcessorDuration { get; }

    /// <summary>One answered provider or platform request (<see cref="Hosting.IntakeRequestFilter"/>).</summary>
    public void Webhook(string channel, int status, TimeSpan elapsed)
    {
        var tags = new TagList { { "channel", channel }, { "status_class", StatusClass(status) } };
        WebhookDuration.Record(elapsed.TotalSeconds, tags);
        tags.Add("status", StatusText(status)); // the exact code too: 503 (not acknowledged, retry) is what the Functions-mode alert counts
        WebhookRequests.Add(1, tags);
        if (status is 401 or 403)
        {
            SignatureRefused.Add(1, new KeyValuePair<string, object?>("channel", channel));
        }
    }

    /// <summary>A report acknowledged: <paramref name="via"/> is <c>storage</c> or <c>spool</c>.</summary>
    public void Acknowledged(string reportChannel, string via) =>
        Accepted.Add(1, new KeyValuePair<string, object?>("report_channel", reportChannel), new KeyValuePair<string, object?>("via", via));

    private static readonly string[] StatusTexts = [.. Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>A status code as text, without allocating (a boxed int per request would).</summary>
    public static string StatusText(int status) => status is >= 0 and < 600 ? StatusTexts[status] : status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string StatusClass(int status) => status switch
    {
        < 200 => "1xx",
        < 300 => "2xx",
        < 400 => "3xx",
        < 500 => "4xx",
        _ => "5xx",
    };
}

/// <summary>Every metric name the hub emits: the one list the app, the docs and the alert rules share.</summary>
public static class MetricNames
{
    public const string WebhookRequests = "hub.webhook.requests";
    public const string WebhookDuration = "hub.webhook.duration";
    public const string SignatureRefused = "hub.webhook.signature_refused";
    public const string Accepted = "hub.intake.accepted";
    public const string SpoolPendingBytes = "hub.spool.pending_bytes";
    public const string SpoolPendingRecords = "hub.spool.pending_records";
    public const string SpoolHeldRecords = "hub.spool.held_records";
    public const string QueueDepth = "hub.queue.depth";
    public const string QueueOldestAge = "hub.queue.oldest_age";
    public const string PoisonDepth = "hub.queue.poison_depth";
    public const string Poisoned = "hub.queue.poisoned";
    public const string Processed = "hub.processor.messages";
    public const string ProcessorFailures = "hub.processor.failures";
    public const string ProcessorDuration = "hub.processor.duration";
    public const string CasesOverdue = "hub.cases.overdue";
    public const string ChatsWaiting = "hub.chats.waiting";
    public const string ChatsLongestWait = "hub.chats.longest_wait";
    public const string HashIndexSize = "hub.hash.index_size";

    public static IReadOnlyList<string> All { get; } =
    [
        WebhookRequests, WebhookDuration, SignatureRefused, Accepted, SpoolPendingBytes, SpoolPendingRecords, SpoolHeldRecords,
        QueueDepth, QueueOldestAge, PoisonDepth, Poisoned, Processed, ProcessorFailures, ProcessorDuration, CasesOverdue,
        ChatsWaiting, ChatsLongestWait, HashIndexSize,
    ];
}

/// <summary>The hub's <see cref="ActivitySource"/> and <see cref="Meter"/> name.</summary>
public static class HubTelemetry
{
    public const string Name = "Hub";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>The current span's W3C context for a queue message, or null when nothing is traced.</summary>
    public static Hub.Core.Envelope.TraceContext? CurrentTrace() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? new Hub.Core.Envelope.TraceContext { Traceparent = id } : null;
}
